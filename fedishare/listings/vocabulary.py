"""The terms a listing uses beyond ActivityStreams, and the vocabulary document served at /ns.

The project namespace is `https://w3id.org/fedishare/ns#`, an IRI that no single instance
owns. Each instance serves the same document at `/ns`; its `@context` is the term map that
listings embed, so it also works as a remote JSON-LD context.
"""

from __future__ import annotations

from typing import Any

from fedishare.core.types import JSON

AS = "https://www.w3.org/ns/activitystreams"
NS = "https://w3id.org/fedishare/ns#"
VF = "https://w3id.org/valueflows/ont/vf#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"
SCHEMA = "http://schema.org#"  # spelled as Mastodon spells it

TERMS: JSON = {
    "vf": VF,
    "om2": OM2,
    "schema": SCHEMA,
    "fs": NS,
    "Hashtag": "as:Hashtag",
    "Proposal": "vf:Proposal",
    "Intent": "vf:Intent",
    "purpose": "vf:purpose",
    "publishes": "vf:publishes",
    "reciprocal": "vf:reciprocal",
    "action": "vf:action",
    "resourceConformsTo": {"@id": "vf:resourceConformsTo", "@type": "@id"},
    "resourceQuantity": "vf:resourceQuantity",
    "availableQuantity": "vf:availableQuantity",
    "hasUnit": "om2:hasUnit",
    "hasNumericalValue": "om2:hasNumericalValue",
    "maximumAttendeeCapacity": "schema:maximumAttendeeCapacity",
    "expires": "schema:expires",
    "listingKind": "fs:listingKind",
    "listingStatus": "fs:listingStatus",
    "listingDescription": "fs:listingDescription",
    "numberOfTravellers": "fs:numberOfTravellers",
    "flexibleDates": "fs:flexibleDates",
    "houseRules": "fs:houseRules",
    "returnBy": "fs:returnBy",
    "reservedFor": {"@id": "fs:reservedFor", "@type": "@id"},
    "TimeCredit": "fs:TimeCredit",
    "toot": "http://joinmastodon.org/ns#",
    "blurhash": "toot:blurhash",
}

LISTING_CONTEXT: list[Any] = [AS, TERMS]

# (term, label, comment, values) for each term of ours.
_DEFINITIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("listingKind", "listing kind", "What sort of listing this is.",
     ("give", "lend", "wanted", "help", "stay")),
    ("listingStatus", "listing status",
     "Where the listing stands. An offer ends taken, a request received.",
     ("open", "reserved", "taken", "received", "withdrawn", "expired")),
    ("listingDescription", "description",
     "The author's description as plain text, without the title, place and status lines "
     "that content adds for readers.", ()),
    ("numberOfTravellers", "number of travellers",
     "How many people a stay request is for.", ()),
    ("flexibleDates", "flexible dates",
     "True when the dates of a stay request can move.", ()),
    ("houseRules", "house rules", "A host's rules for a stay, as plain text.", ()),
    ("returnBy", "return by", "When a lent thing is to come back (xsd:dateTime).", ()),
    ("reservedFor", "reserved for", "The actor a reserved listing is held for.", ()),
    ("TimeCredit", "time credit",
     "One hour of help given or received, counted in a time bank.", ()),
)  # fmt: skip


def vocabulary_document() -> JSON:
    """The JSON-LD document for GET /ns."""
    graph: list[JSON] = []
    for term, label, comment, values in _DEFINITIONS:
        entry: JSON = {
            "@id": f"fs:{term}",
            "@type": "rdfs:Class" if term[0].isupper() else "rdf:Property",
            "rdfs:label": label,
            "rdfs:comment": comment,
        }
        if values:
            entry["fs:allowedValues"] = list(values)
        graph.append(entry)
    return {
        "@context": [
            AS,
            {
                **TERMS,
                "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
                "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            },
        ],
        "@id": NS.rstrip("#"),
        "rdfs:label": "fedishare listings",
        "rdfs:comment": (
            "Terms for neighbourhood sharing listings (offers, requests and stays), used with "
            "ValueFlows (FEP-0837), OM-2 units and schema.org."
        ),
        "@graph": graph,
    }
