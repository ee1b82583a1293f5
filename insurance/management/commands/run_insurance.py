from portage.batch import DailyJobCommand


class Command(DailyJobCommand):
    help = (
        "Runs the credit insurance batch for a day, as the daily beat does: overdue "
        "declarations before their deadline, claims once the waiting period has run."
    )
    job = "insurance"

    def describe(self, tenant, summary, *, dry_run):
        lines = summary.get("lines", [])
        figures = {key: value for key, value in summary.items() if key != "lines"}
        text = super().describe(tenant, figures, dry_run=dry_run)
        if dry_run and lines:
            text += "\n" + "\n".join(f"  would do: {line}" for line in lines)
        return text
