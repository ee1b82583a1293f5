from django.urls import path

from insurance.views import premiums

urlpatterns = [
    path("assurance/polices/<int:pk>/primes/", premiums.premiums, name="insurance_premiums"),
    path("assurance/tests-a-blanc/", premiums.blank_test_list, name="insurance_blank_test_list"),
    path(
        "assurance/tests-a-blanc/nouveau/",
        premiums.blank_test_create,
        name="insurance_blank_test_create",
    ),
    path(
        "assurance/tests-a-blanc/<int:pk>/",
        premiums.blank_test_detail,
        name="insurance_blank_test",
    ),
    path(
        "assurance/tests-a-blanc/<int:pk>/export.csv",
        premiums.blank_test_csv,
        name="insurance_blank_test_csv",
    ),
]
