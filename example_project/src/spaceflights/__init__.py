"""spaceflights: hookline's example project, priced shuttles watched by every plugin."""
