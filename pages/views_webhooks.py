"""/account/webhooks/…: the owner's webhook endpoints on the account page (its section is
templates/pages/account/webhooks.html). Plain forms, each POST answered with a redirect; a new
secret is shown once, on the page the POST redirects to (the session holds only a keyed digest
of it, never the secret)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from webhooks.events import EVENT_DESCRIPTIONS
from webhooks.models import Event, WebhookEndpoint
from webhooks.selectors import webhook_endpoint_get
from webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    webhook_test_send,
)

NEW_SECRET_SESSION_KEY = "account.new_webhook_secret"
SECTION = "#webhooks"


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(event, f"{event} — {EVENT_DESCRIPTIONS[event]}") for event in Event.values],
        widget=forms.CheckboxSelectMultiple,
        initial=list(Event.values),
    )
    description = forms.CharField(max_length=200, required=False, label="Note (for you)")


def _endpoint_or_404(request: HttpRequest, webhook_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_get(user=request.user, endpoint_id=webhook_id)
    if endpoint is None:
        raise Http404
    return endpoint


def _back() -> HttpResponse:
    return redirect(reverse("account:index") + SECTION)


def _show_secret_once(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    request.session[NEW_SECRET_SESSION_KEY] = {"id": endpoint.id, "digest": _digest(endpoint.secret)}
    return redirect("account:webhook_secret", webhook_id=endpoint.id)


def _digest(secret: str) -> str:
    return salted_hmac(NEW_SECRET_SESSION_KEY, secret).hexdigest()


@login_required
@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The webhook was not added: " + _errors(form.errors.get_json_data()))
        return _back()
    try:
        endpoint = webhook_endpoint_create(user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "The webhook was not added: " + "; ".join(exc.messages))
        return _back()
    return _show_secret_once(request, endpoint)


def _errors(errors: dict) -> str:
    return "; ".join(f"{name}: {item['message']}" for name, items in errors.items() for item in items)


@login_required
@require_safe
@never_cache
def webhook_secret(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """The endpoint's secret, right after it was made: once (a reload shows it no more)."""
    endpoint = _endpoint_or_404(request, webhook_id)
    secret = None
    if request.method == "GET":  # a HEAD must not use up the one showing
        made = request.session.pop(NEW_SECRET_SESSION_KEY, None)
        if isinstance(made, dict) and made.get("id") == endpoint.id:
            if constant_time_compare(made.get("digest", ""), _digest(endpoint.secret)):
                secret = endpoint.secret
    return render(request, "pages/account/webhook_secret.html", {"endpoint": endpoint, "secret": secret})


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    return _show_secret_once(request, webhook_endpoint_rotate_secret(endpoint=_endpoint_or_404(request, webhook_id)))


@login_required
@require_POST
def webhook_test(request: HttpRequest, webhook_id: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, webhook_id)
    webhook_test_send(endpoint=endpoint)
    messages.success(request, f"A test event is on its way to {endpoint.url}; its result shows below in a moment.")
    return _back()


@login_required
@require_POST
def webhook_toggle(request: HttpRequest, webhook_id: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, webhook_id)
    webhook_endpoint_update(endpoint=endpoint, active=not endpoint.active)
    messages.success(request, f"{endpoint.url} is turned {'on' if endpoint.active else 'off'}.")
    return _back()


@login_required
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, webhook_id)
    webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, f"The webhook to {endpoint.url} is deleted.")
    return _back()
