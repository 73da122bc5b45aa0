"""The victim's "Messages" page: their own conversation with the police about their
case, and the form to write. Signed-in, CSRF and access checks are the case page's
(victims.portal.victim_required)."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from conversations.constants import RATE_LIMITED_MESSAGE, SendBlock
from conversations.forms import MessageForm
from conversations.selectors import victim_conversation
from conversations.services import (
    MessageRefused,
    message_send_by_victim,
    messages_read,
    messages_read_again,
    messages_shown,
    victim_rate_limited,
    victim_send_block,
)
from victims.portal import PortalRequest, portal_seconds_left, victim_required
from victims.portal_cache import portal_page_response, portal_page_store

SENT_SESSION_KEY = "victim_message_sent"


@require_http_methods(["GET", "HEAD", "POST"])
@victim_required(cached_page="messages")
def victim_messages(request: PortalRequest) -> HttpResponse:
    link = request.portal
    case = link.case
    # A plain look at the page may come from the cache, made under the same case
    # and victim versions (a new message changes the case's) and the same answer to
    # "can they write now?".
    fresh = request.method != "POST" and SENT_SESSION_KEY not in request.session
    if fresh:
        variant = (
            victim_send_block(case=case, conversation=None),
            victim_rate_limited(victim_id=link.victim_id),
        )
        cached = request.portal_cached.page_for(variant)
        if cached is not None:
            messages_read_again(actor=link.victim, shown=cached["shown"])
            return portal_page_response(
                request, cached, seconds_left=portal_seconds_left(request)
            )
    form = MessageForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            message_send_by_victim(link=link, text=form.cleaned_data["text"])
        except MessageRefused as error:
            if error.code == SendBlock.RATE_LIMITED:
                status = 429
            form.add_error(None, error.messages[0])
        else:
            request.session[SENT_SESSION_KEY] = True
            response = redirect("conversations:victim_messages")
            response.status_code = 303
            return response
    elif request.method == "POST":
        status = 400
    conversation, messages = victim_conversation(
        case_id=case.pk, victim_id=link.victim_id
    )
    block = victim_send_block(case=case, conversation=conversation)
    if block == SendBlock.PAUSED:
        # Neutral: nothing shown, not even the history, and nothing read.
        messages = []
    elif conversation is not None:
        messages_read(
            actor=link.victim, reads=[(conversation, messages)], by_victim=True
        )
    context = {
        "case": case,
        "force": case.force,
        "officer": case.officer_in_charge,
        "messages_shown": messages,
        "send_block": block,
        "rate_limited": block is None and victim_rate_limited(victim_id=link.victim_id),
        "rate_limited_message": RATE_LIMITED_MESSAGE,
        "form": form,
        "sent": request.method == "GET"
        and request.session.pop(SENT_SESSION_KEY, False),
        "reply_days": case.force.message_reply_working_days,
    }
    page = render(request, "conversations/victim_messages.html", context, status=status)
    if fresh and block != SendBlock.PAUSED:
        portal_page_store(
            request.portal_cached,
            page="messages",
            request=request,
            response=page,
            variant=variant,
            extra={"shown": messages_shown(reads=[(conversation, messages)])},
        )
    return page
