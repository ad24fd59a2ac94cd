from django.contrib.auth import views as auth_views
from django.urls import include, path

from smartresponse.api import api
from smartresponse.outcomes import public_views

urlpatterns = [
    path("public/<slug:slug>/", public_views.transparency_page, name="transparency-public"),
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("smartresponse.accounts.urls")),
    path("", include("smartresponse.calls.urls")),
    path("", include("smartresponse.dispatch.urls")),
    path("", include("smartresponse.encounters.urls")),
    path("", include("smartresponse.outcomes.urls")),
    path("", include("smartresponse.audit.urls")),
    path("", include("smartresponse.triage.urls")),
    path("", include("smartresponse.people.urls")),
    path("", include("smartresponse.directory.urls")),
    path("", include("smartresponse.cases.urls")),
    path("", include("smartresponse.planning.urls")),
    path("", include("smartresponse.workforce.urls")),
]
