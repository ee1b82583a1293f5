from celery import shared_task


@shared_task(acks_late=True)
def deliver_due_messages():
    """Sends the collection emails whose (next) attempt is due, for every tenant."""
    from dunning.services.mail import deliver_due

    return deliver_due()
