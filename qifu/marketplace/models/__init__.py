"""Service marketplace models: the catalogue, orders (applications), satisfaction, subsidies."""

from qifu.marketplace.models.catalogue import (  # noqa: F401
    Category,
    Favourite,
    InstitutionStats,
    Product,
    ProductRevision,
    ReviewProduct,
)
from qifu.marketplace.models.orders import (  # noqa: F401
    Application,
    ApplicationEvent,
    ApplicationFile,
    EnterpriseApplication,
    GovernmentApplication,
    InstitutionApplication,
    Rating,
)
from qifu.marketplace.models.subsidies import SubsidyProgramme  # noqa: F401
