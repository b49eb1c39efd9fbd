"""Teams activity translation: delivery ids and stored references that can't betray an anonymous reporter."""

from __future__ import annotations

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from adapters.teams.translate import delivery_id, postable_reference


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


def test_a_redelivered_activity_has_the_same_raw_delivery_id_and_others_differ():
    assert delivery_id(message()) == delivery_id(message())
    assert delivery_id(message()) != delivery_id(message("1700000000002"))
    assert delivery_id(message()) != delivery_id(message(conversation="a:1other-chat"))


def test_the_stored_reference_names_neither_the_sender_nor_the_message():
    reference = postable_reference(message())
    assert reference["conversation"]["id"] == "a:1personal-chat-with-alice"
    assert reference["serviceUrl"] == "https://smba.trafficmanager.net/uk/"
    assert reference["bot"]["id"] == "28:tally"
    text = repr(reference).lower()
    assert "alice" not in text.replace("a:1personal-chat-with-alice", "") and "1700000000001" not in text
