"""Qifu (企服) — enterprise service platform."""

__version__ = "0.1.0"
