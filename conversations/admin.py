"""The back office's side of the conversations: each case's conversations, one per
victim, where staff read, reply, write unprompted, mark a message as needing no
reply or pause the conversation; and the inbox of victims' messages waiting for a
reply. Every write goes through conversations.services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from audit.constants import ObjectType
from cases.models import Case
from conversations.forms import MessageForm, NoReplyForm, PauseForm
from conversations.models import Conversation, Message
from conversations.selectors import officer_inbox, waiting_counts
from conversations.services import (
    MessageRefused,
    conversation_pause,
    conversation_resume,
    message_mark_no_reply,
    message_send_by_staff,
    messages_read,
)
from trackmycrime.admin_scoping import ForceScopedAdmin, staff_of
from victims.models import CaseVictim


def thread_url(case_id: int, victim_id: int) -> str:
    return reverse("admin:conversations_conversation_thread", args=[case_id, victim_id])


@admin.register(Conversation)
class ConversationAdmin(ForceScopedAdmin):
    audit_object_type = ObjectType.CONVERSATION
    list_display = ["case", "victim", "last_message_at", "paused"]
    list_select_related = ["case", "victim"]
    ordering = ["-last_message_at", "-id"]
    show_full_result_count = False

    @admin.display(description=_("paused"), boolean=True)
    def paused(self, conversation: Conversation) -> bool:
        return conversation.is_paused

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Never through the generic change form: the conversation page's forms call
        # the services (their permissions are checked there).
        return False

    def get_urls(self):
        return [
            path(
                "inbox/",
                self.admin_site.admin_view(self.inbox_view),
                name="conversations_conversation_inbox",
            ),
            path(
                "case/<int:case_id>/victim/<int:victim_id>/",
                self.admin_site.admin_view(self.thread_view),
                name="conversations_conversation_thread",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        conversation = self.get_object(request, object_id)
        if conversation is None:
            raise Http404
        return HttpResponseRedirect(
            thread_url(conversation.case_id, conversation.victim_id)
        )

    def inbox_view(self, request):
        """Victims' messages waiting for a reply, oldest first, with the deadline:
        the officer's own cases, or the whole force's for a supervisor who asks."""
        user = staff_of(request)
        if not user.has_perm("conversations.view_conversation"):
            raise PermissionDenied
        force_wide = request.GET.get("all") == "1" and user.has_perm(
            "cases.view_code_compliance"
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Messages waiting for a reply"),
            "opts": self.model._meta,
            "inbox": officer_inbox(user=user, force_wide=force_wide),
            "counts": waiting_counts(user=user, force_wide=force_wide),
            "force_wide": force_wide,
            "may_see_force": user.has_perm("cases.view_code_compliance"),
        }
        return TemplateResponse(request, "admin/conversations/inbox.html", context)

    def thread_view(self, request, case_id: int, victim_id: int):
        """One victim's conversation on a case: read it, reply (or write first),
        mark a message as needing no reply, pause or resume."""
        user = staff_of(request)
        if not user.has_perm("conversations.view_conversation"):
            raise PermissionDenied
        case = get_object_or_404(
            Case.objects.select_related("force", "officer_in_charge"),
            pk=case_id,
            force_id=user.force_id,
        )
        link = get_object_or_404(
            CaseVictim.objects.select_related("victim"), case=case, victim_id=victim_id
        )
        reply_form = MessageForm(
            request.POST if request.POST.get("action") == "reply" else None
        )
        pause_form = PauseForm(
            request.POST if request.POST.get("action") == "pause" else None
        )
        no_reply_form = NoReplyForm(
            request.POST if request.POST.get("action") == "no_reply" else None
        )
        conversation = Conversation.objects.filter(
            case=case, victim_id=victim_id
        ).first()
        if request.method == "POST":
            done = self._act(
                request,
                case=case,
                victim_id=victim_id,
                conversation=conversation,
                forms=(reply_form, pause_form, no_reply_form),
            )
            if done:
                response = HttpResponseRedirect(thread_url(case.pk, victim_id))
                response.status_code = 303
                return response
        shown = (
            list(
                conversation.messages.select_related("answered_by").order_by(
                    "sent_at", "id"
                )
            )
            if conversation
            else []
        )
        if request.method == "GET" and conversation is not None:
            messages_read(actor=user, reads=[(conversation, shown)], by_victim=False)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Messages with %(victim)s") % {"victim": link.victim},
            "opts": self.model._meta,
            "case": case,
            "victim": link.victim,
            "conversation": conversation,
            "messages_shown": shown,
            "reply_form": reply_form,
            "pause_form": pause_form,
            "no_reply_form": no_reply_form,
            "may_write": user.has_perm("conversations.add_message"),
            "may_change": user.has_perm("conversations.change_conversation"),
        }
        return TemplateResponse(request, "admin/conversations/thread.html", context)

    def _act(self, request, *, case, victim_id, conversation, forms) -> bool:
        """Do what the posted form asks, through the services; return whether it was
        done (errors are left on the forms)."""
        user = staff_of(request)
        reply_form, pause_form, no_reply_form = forms
        action = request.POST.get("action")
        needed = (
            "conversations.add_message"
            if action == "reply"
            else "conversations.change_conversation"
        )
        if not user.has_perm(needed):
            raise PermissionDenied
        form = {
            "reply": reply_form,
            "pause": pause_form,
            "no_reply": no_reply_form,
        }.get(action)
        if action == "resume":
            if conversation is None:
                raise Http404
            conversation_resume(conversation=conversation, actor=user)
            messages.success(request, _("The conversation is resumed."))
            return True
        if form is None or not form.is_valid():
            return False
        try:
            if action == "reply":
                message_send_by_staff(
                    case=case,
                    victim_id=victim_id,
                    text=form.cleaned_data["text"],
                    actor=user,
                    officer=user,
                )
                messages.success(
                    request,
                    _(
                        "Your message is sent. The victim is told there is a new "
                        "message, in the ways they said are safe."
                    ),
                )
            elif action == "pause":
                conversation_pause(
                    case=case,
                    victim_id=victim_id,
                    actor=user,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("The conversation is paused."))
            else:
                message = get_object_or_404(
                    Message,
                    pk=request.POST.get("message_id") or 0,
                    conversation=conversation,
                )
                message_mark_no_reply(
                    message=message, actor=user, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request, _("The message is marked as needing no reply.")
                )
        except MessageRefused as error:
            form.add_error(None, error.messages[0])
            return False
        return True
