"""All marketplace writes. Split by subject: catalogue, applications, ratings, subsidies."""
