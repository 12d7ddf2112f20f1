"""The demo-data generator: a realistic, seeded B2B SaaS dataset in the canonical form."""

from lifecycle_metrics.demo.generator import DemoConfig, generate

__all__ = ["DemoConfig", "generate"]
