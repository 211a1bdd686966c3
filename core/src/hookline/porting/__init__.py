"""``hookline port-kedro``: turn a Kedro 1.x (or 0.19) project into a hookline project in place.

One idea per module: :mod:`.detect` finds the Kedro project and the files it may touch,
:mod:`.python_imports` rewrites import lines, :mod:`.pyproject` adds ``[tool.hookline]``,
:mod:`.catalog_types` maps catalog ``type:`` values, :mod:`.kedro_settings` checks
``settings.py``, :mod:`.report` gathers what changed and what could not be ported,
:mod:`.writing` guards and performs the writes, :mod:`.port` ties them together and
:mod:`.command` is the click command. libcst and tomlkit come with ``hookline[port]``.
"""
