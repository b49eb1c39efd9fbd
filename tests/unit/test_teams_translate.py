"""Teams activity translation: delivery ids and stored references that can't betray an anonymous reporter."""

from __future__ import annotations

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from adapters.teams.translate import delivery_id, delivery_key, postable_reference


def message(activity_id: str = "1700000000001", conversation: str = "a:1personal-chat-with-alice") -> Activity:
    return Activity(
        type="message",
        id=activity_id,
        service_url="https://smba.trafficmanager.net/uk/",
        channel_id="msteams",
        from_property=ChannelAccount(id="29:alice", name="Alice Adams", aad_object_id="aad-alice"),
        recipient=ChannelAccount(id="28:tally", name="Tally"),
        conversation=ConversationAccount(id=conversation, conversation_type="personal"),
        text="problem Bullying on the night shift anon",
    )


def test_a_redelivered_activity_keeps_its_delivery_id_under_the_same_secret():
    key = delivery_key("app-password")
    assert delivery_id(message(), key) == delivery_id(message(), delivery_key("app-password"))
    assert delivery_id(message(), key) != delivery_id(message("1700000000002"), key)
    assert delivery_id(message(), key) != delivery_id(message(conversation="a:1other-chat"), key)


def test_without_the_secret_a_delivery_id_cannot_be_recomputed():
    assert delivery_id(message(), delivery_key("app-password")) != delivery_id(message(), delivery_key("guess"))
    assert delivery_key("") != delivery_key("")  # no secret: a random key for this process only


def test_the_stored_reference_names_neither_the_sender_nor_the_message():
    reference = postable_reference(message())
    assert reference["conversation"]["id"] == "a:1personal-chat-with-alice"
    assert reference["serviceUrl"] == "https://smba.trafficmanager.net/uk/"
    assert reference["bot"]["id"] == "28:tally"
    text = repr(reference).lower()
    assert "alice" not in text.replace("a:1personal-chat-with-alice", "") and "1700000000001" not in text
