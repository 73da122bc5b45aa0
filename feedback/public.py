"""The public page, /how-we-are-doing/: each force's published figures, read from
the snapshot Celery beat refreshes (feedback.tasks), so that the page reads one row
and no visitor's request ever counts responses."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from cases.models import Force
from feedback.constants import Question
from feedback.models import FeedbackSnapshot


@require_safe
@cache_control(public=True, max_age=300)
def public_index(request: HttpRequest) -> HttpResponse:
    forces = Force.objects.order_by("name").values("name", "code")
    return render(request, "feedback/public_index.html", {"forces": list(forces)})


@require_safe
@cache_control(public=True, max_age=300)
def public_force(request: HttpRequest, code: str) -> HttpResponse:
    snapshot = (
        FeedbackSnapshot.objects.select_related("force")
        .filter(force__code=code)
        .first()
    )
    if snapshot is None:
        force = Force.objects.filter(code=code).first()
        if force is None:
            raise Http404
        return render(
            request, "feedback/public_force.html", {"force": force, "figures": None}
        )
    figures = snapshot.figures
    questions = [
        {"label": question.label, **figures["questions"].get(question.value, {})}
        for question in Question
    ]
    quarters = [
        {
            "label": quarter["label"],
            "cells": [quarter.get(question.value, {}) for question in Question],
        }
        for quarter in figures["quarters"]
    ]
    return render(
        request,
        "feedback/public_force.html",
        {
            "force": snapshot.force,
            "figures": figures,
            "computed_at": snapshot.computed_at,
            "questions": questions,
            "question_labels": [question.label for question in Question],
            "quarters": quarters,
        },
    )
