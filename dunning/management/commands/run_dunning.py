from portage.batch import DailyJobCommand


class Command(DailyJobCommand):
    help = (
        "Runs the dunning ladder for a day, as the daily beat does: every step due that day, "
        "once. Use --date to catch up a missed day, --dry-run to see what would be sent."
    )
    job = "dunning"

    def describe(self, tenant, summary, *, dry_run):
        lines = summary.get("lines", [])
        figures = {key: value for key, value in summary.items() if key != "lines"}
        text = super().describe(tenant, figures, dry_run=dry_run)
        if dry_run and lines:
            text += "\n" + "\n".join(f"  would send: {line}" for line in lines)
        return text
