from portage.batch import DailyJobCommand


class Command(DailyJobCommand):
    help = "Runs a daily job for a day, for one or every portage company, as the beat would."

    def add_arguments(self, parser):
        parser.add_argument("job", help="Name of the daily job.")
        super().add_arguments(parser)

    def job_name(self, options):
        return options["job"]
