"""The spec: YAML text -> located data -> checked -> typed model."""
