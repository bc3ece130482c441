"""hitl-gen: Botpress v12 human-handoff files from a YAML spec."""

__version__ = "0.1.0"
