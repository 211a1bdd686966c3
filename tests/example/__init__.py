"""The example project, end to end."""
