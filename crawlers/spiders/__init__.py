"""The generic site spider and the sitemap spider; both read their source from ``sources.yaml``."""
