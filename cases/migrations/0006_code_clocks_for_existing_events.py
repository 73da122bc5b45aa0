from django.db import migrations


def create_clocks(apps, schema_editor):
    """A clock for each Right 6 event recorded before clocks existed; when its
    victims were told is worked out by the next settle (cases.compliance)."""
    TimelineEntry = apps.get_model("cases", "TimelineEntry")
    CodeClock = apps.get_model("cases", "CodeClock")
    entries = TimelineEntry.objects.filter(code_deadline__isnull=False).select_related(
        "case"
    )
    batch = []
    for entry in entries.iterator(chunk_size=2000):
        batch.append(
            CodeClock(
                force_id=entry.case.force_id,
                case_id=entry.case_id,
                entry_id=entry.pk,
                kind="right_6_event",
                stage=entry.stage,
                officer_id=entry.case.officer_in_charge_id,
                occurred_at=entry.occurred_at,
                recorded_at=entry.recorded_at,
                deadline=entry.code_deadline,
            )
        )
        if len(batch) >= 2000:
            CodeClock.objects.bulk_create(batch)
            batch = []
    CodeClock.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_code_clocks_and_cases_by_due_date"),
    ]

    operations = [migrations.RunPython(create_clocks, migrations.RunPython.noop)]
