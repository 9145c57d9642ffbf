"""`pytest hil/ --target FILE`: the plugin's hooks and fixtures, loaded for this folder."""

from hil.plugin import (  # noqa: F401 - pytest finds hooks and fixtures by name here
    hil_run,
    measure,
    operator,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    table,
    target,
)
