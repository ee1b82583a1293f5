from rest_framework.routers import SimpleRouter

from invoices import api

router = SimpleRouter()
router.register("clients", api.ClientViewSet, basename="api-client")
router.register("invoices", api.InvoiceViewSet, basename="api-invoice")
router.register("payments", api.PaymentViewSet, basename="api-payment")
urlpatterns = router.urls
