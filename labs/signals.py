"""What labs tells the site-wide apps, which it never imports (DESIGN.md's layout).

``validation_failed``: a learner's topology was refused (a run would not start, the
builder found problems). Sent with ``user``, ``topology`` and ``messages`` (list of str,
in the learner's language). The classes app records it for the instructor's dashboard.
"""

from django.dispatch import Signal

validation_failed = Signal()
