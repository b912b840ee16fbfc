"""Settings of the daphne the browser tests start: the site's own, on the test database.

The test process creates the test database and names it in BROWSER_TEST_DATABASE_NAME
(the SQLite file, or the PostgreSQL database pytest-django made); everything else, Redis
included, comes from the same environment as the tests'.
"""

import os

from playground.settings import *  # noqa: F403
from playground.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["BROWSER_TEST_DATABASE_NAME"]
DEBUG = False  # as pytest-django runs the tests' own requests
