from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassroomsConfig(AppConfig):
    name = "playground.classrooms"
    label = "classrooms"
    verbose_name = _("Classes")

    def ready(self) -> None:
        # labs never imports this app (DESIGN.md's layout): it offers hooks, we fill them.
        from labs import consumers, signals
        from labs.bench import classroom as class_bench
        from labs.models import run_watchers
        from playground.quizzes import signals as quiz_signals

        from . import access, bench, hints, services

        if access.supervised_learners not in run_watchers:
            run_watchers.append(access.supervised_learners)
        if hints.LabHints.open not in consumers.viewer_extensions:
            consumers.viewer_extensions.append(hints.LabHints.open)
        if bench.DashboardWatcher not in class_bench.WATCHERS:
            class_bench.WATCHERS.append(bench.DashboardWatcher)
        signals.validation_failed.connect(
            services.record_validation_error_signal, dispatch_uid="classrooms-validation"
        )
        quiz_signals.answered.connect(
            services.learner_answered_signal, dispatch_uid="classrooms-answered"
        )
