"""Project settings. There is no need to edit this file unless you want to change values
from the Kedro defaults."""

# Hooks are executed in a Last-In-First-Out (LIFO) order.
# from spaceflights.hooks import ProjectHooks
# HOOKS = (ProjectHooks(),)

# Installed plugins for which to disable hook auto-registration.
# DISABLE_HOOKS_FOR_PLUGINS = ("kedro-viz",)

# Keyword arguments to pass to the `CONFIG_LOADER_CLASS` constructor.
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
