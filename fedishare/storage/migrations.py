"""The versioned schema. Each migration runs once, in order, inside one transaction.

Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiosqlite

from fedishare.storage.backup import back_up_before_migration
from fedishare.storage.database import SchemaOutOfDate

log = logging.getLogger(__name__)

MIGRATIONS: list[str] = [
    # 1: local actors (the instance Application, the community Group, member Persons).
    """
    CREATE TABLE local_actors (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        kind TEXT NOT NULL CHECK (kind IN ('application', 'group', 'person')),
        display_name TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        private_key_pem TEXT NOT NULL,
        public_key_pem TEXT NOT NULL,
        manually_approves_followers INTEGER NOT NULL DEFAULT 0,
        discoverable INTEGER NOT NULL DEFAULT 1,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX local_actors_one_application ON local_actors(kind)
        WHERE kind = 'application';
    CREATE UNIQUE INDEX local_actors_one_group ON local_actors(kind) WHERE kind = 'group';
    CREATE TABLE access_tokens (
        token_hash TEXT PRIMARY KEY,
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    );
    """,
    # 2: federation: remote actors, follows, the inbox queue, objects, reactions, our
    # published activities and the delivery queue. Queue times are unix seconds (REAL),
    # human-facing times ISO 8601 text.
    """
    CREATE TABLE remote_actors (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        type TEXT NOT NULL,
        preferred_username TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        inbox TEXT NOT NULL,
        shared_inbox TEXT,
        followers TEXT,
        key_id TEXT NOT NULL,
        public_key_pem TEXT NOT NULL,
        document TEXT NOT NULL,
        fetched_at REAL NOT NULL
    );
    CREATE INDEX remote_actors_key ON remote_actors(key_id);
    CREATE TABLE follows (
        id INTEGER PRIMARY KEY,
        follower TEXT NOT NULL,
        followee TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (follower, followee)
    );
    CREATE INDEX follows_followee ON follows(followee, state);
    CREATE INDEX follows_activity ON follows(activity_id);
    CREATE TABLE inbox_items (
        id INTEGER PRIMARY KEY,
        activity_id TEXT NOT NULL UNIQUE,
        actor TEXT NOT NULL,
        recipient_id INTEGER REFERENCES local_actors(id),
        body TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'received'
            CHECK (state IN ('received', 'processed', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try REAL NOT NULL,
        error TEXT,
        received_at REAL NOT NULL,
        processed_at REAL
    );
    CREATE INDEX inbox_items_due ON inbox_items(next_try) WHERE state = 'received';
    CREATE TABLE objects (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        attributed_to TEXT NOT NULL,
        local_actor_id INTEGER REFERENCES local_actors(id),
        in_reply_to TEXT,
        document TEXT NOT NULL,
        published TEXT NOT NULL,
        updated TEXT,
        deleted INTEGER NOT NULL DEFAULT 0,
        likes INTEGER NOT NULL DEFAULT 0,
        announces INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX objects_in_reply_to ON objects(in_reply_to);
    CREATE INDEX objects_attributed_to ON objects(attributed_to);
    CREATE TABLE reactions (
        activity_id TEXT PRIMARY KEY,
        type TEXT NOT NULL CHECK (type IN ('Like', 'Announce')),
        actor TEXT NOT NULL,
        object_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (type, actor, object_id)
    );
    CREATE TABLE outbox_activities (
        id INTEGER PRIMARY KEY,
        activity_id TEXT NOT NULL UNIQUE,
        actor_id INTEGER NOT NULL REFERENCES local_actors(id),
        type TEXT NOT NULL,
        object_id TEXT,
        document TEXT NOT NULL,
        public INTEGER NOT NULL DEFAULT 0,
        published TEXT NOT NULL
    );
    CREATE INDEX outbox_activities_by_actor ON outbox_activities(actor_id, id);
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        activity_rowid INTEGER NOT NULL REFERENCES outbox_activities(id),
        inbox TEXT NOT NULL,
        host TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'delivered', 'failed', 'gone')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try REAL NOT NULL,
        last_status INTEGER,
        last_error TEXT,
        UNIQUE (activity_rowid, inbox)
    );
    CREATE INDEX deliveries_due ON deliveries(next_try) WHERE state = 'pending';
    CREATE TABLE delivery_hosts (
        host TEXT PRIMARY KEY,
        failures INTEGER NOT NULL DEFAULT 0,
        paused_until REAL NOT NULL DEFAULT 0,
        last_error TEXT
    );
    """,
    # 3: listings, ours (remote = 0) and other servers' (remote = 1), with a full-text index.
    # `num` is the stable rowid the index refers to (an implicit rowid may change on VACUUM).
    # Times are ISO 8601 UTC text (YYYY-MM-DDTHH:MM:SSZ), which sorts as time does. The
    # index is kept in step by fedishare.storage.listings (migrations cannot hold triggers,
    # whose bodies need semicolons). A deleted listing keeps its row as a Tombstone. The
    # documents (a few KB each) live apart so that searches walk small rows.
    """
    CREATE TABLE listings (
        num INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        remote INTEGER NOT NULL CHECK (remote IN (0, 1)),
        author TEXT NOT NULL,
        purpose TEXT NOT NULL CHECK (purpose IN ('offer', 'request')),
        kind TEXT NOT NULL CHECK (kind IN ('give', 'lend', 'wanted', 'help', 'stay')),
        status TEXT NOT NULL CHECK (status IN
            ('open', 'reserved', 'taken', 'received', 'withdrawn', 'expired')),
        visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'followers')),
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        place_name TEXT NOT NULL DEFAULT '',
        lat REAL,
        lon REAL,
        radius_km REAL NOT NULL DEFAULT 1,
        start_at TEXT,
        end_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        return_by TEXT,
        hours REAL,
        capacity INTEGER,
        party_size INTEGER,
        flexible INTEGER NOT NULL DEFAULT 0,
        house_rules TEXT NOT NULL DEFAULT '',
        reserved_for TEXT,
        audience TEXT,
        extra TEXT NOT NULL DEFAULT '{}',
        published TEXT NOT NULL,
        updated TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE listing_documents (
        num INTEGER PRIMARY KEY REFERENCES listings(num),
        document TEXT NOT NULL
    );
    CREATE INDEX listings_newest ON listings(status, published);
    CREATE INDEX listings_kind ON listings(kind, status, published);
    CREATE INDEX listings_position ON listings(lat, lon) WHERE lat IS NOT NULL;
    CREATE INDEX listings_stay_dates ON listings(start_at, end_at) WHERE kind = 'stay';
    CREATE INDEX listings_due ON listings(expires_at)
        WHERE status IN ('open', 'reserved') AND deleted = 0;
    CREATE INDEX listings_author ON listings(author);
    CREATE VIRTUAL TABLE listings_fts USING fts5(
        title, description, place_name,
        content = 'listings', content_rowid = 'num',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
    );
    """,
    # 4: responses to our listings. Everyone who responded to a listing is a responder, with
    # the notes we sent them once each (how to respond privately; that it has gone). A
    # private reply opens the conversation of (listing, responder); its messages are object
    # or activity ids, in or out. Notes are kept in `objects` (where edits and deletions
    # apply), so `document` is NULL for them; Offers, Joins and our answers keep theirs here.
    # Public (and followers-only) replies are the listing's comments.
    """
    CREATE TABLE listing_responders (
        listing_id TEXT NOT NULL,
        responder TEXT NOT NULL,
        first_at TEXT NOT NULL,
        howto_note TEXT,
        gone_note TEXT,
        PRIMARY KEY (listing_id, responder)
    );
    CREATE INDEX listing_responders_howto ON listing_responders(howto_note)
        WHERE howto_note IS NOT NULL;
    CREATE INDEX listing_responders_gone ON listing_responders(gone_note)
        WHERE gone_note IS NOT NULL;
    CREATE TABLE listing_conversations (
        id INTEGER PRIMARY KEY,
        listing_id TEXT NOT NULL,
        responder TEXT NOT NULL,
        answer TEXT CHECK (answer IN ('accept', 'tentative', 'reject')),
        opened_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        UNIQUE (listing_id, responder)
    );
    CREATE TABLE listing_messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES listing_conversations(id),
        object_id TEXT NOT NULL UNIQUE,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        kind TEXT NOT NULL CHECK (kind IN
            ('note', 'offer', 'join', 'accept', 'tentative', 'reject', 'gone')),
        published TEXT NOT NULL,
        document TEXT
    );
    CREATE INDEX listing_messages_conversation ON listing_messages(conversation_id, id);
    CREATE TABLE listing_comments (
        object_id TEXT PRIMARY KEY,
        listing_id TEXT NOT NULL,
        author TEXT NOT NULL,
        visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'followers')),
        published TEXT NOT NULL
    );
    CREATE INDEX listing_comments_listing ON listing_comments(listing_id, published);
    """,
    # 5: when a queue row finished, so that finished rows can be deleted after
    # [retention] finished_days (inbox items have processed_at already). Deliveries that
    # finished before this migration get their last next_try, the nearest time they have
    # (mostly the end of the lease of their last attempt). The indexes hold finished rows.
    """
    ALTER TABLE deliveries ADD COLUMN finished_at REAL;
    UPDATE deliveries SET finished_at = next_try WHERE state != 'pending';
    CREATE INDEX deliveries_finished ON deliveries(finished_at) WHERE finished_at IS NOT NULL;
    CREATE INDEX inbox_items_finished ON inbox_items(processed_at)
        WHERE processed_at IS NOT NULL;
    """,
    # 6: people on the web: passwords (argon2id hashes), roles, profiles, browser sessions,
    # sign-up requests, invites, password-reset links, failed log-ins, and photos.
    """
    ALTER TABLE local_actors ADD COLUMN password_hash TEXT;
    ALTER TABLE local_actors ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
        CHECK (role IN ('member', 'admin'));
    ALTER TABLE local_actors ADD COLUMN avatar_media_id INTEGER;
    ALTER TABLE local_actors ADD COLUMN default_place TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE web_sessions (
        id_hash TEXT PRIMARY KEY,
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at REAL NOT NULL,
        last_seen_at REAL NOT NULL,
        user_agent TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX web_sessions_actor ON web_sessions(actor_id);
    CREATE TABLE signup_requests (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        reason TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
        created_at REAL NOT NULL,
        decided_at REAL
    );
    CREATE TABLE invites (
        code_hash TEXT PRIMARY KEY,
        role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
        created_by INTEGER REFERENCES local_actors(id) ON DELETE SET NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        used_by INTEGER REFERENCES local_actors(id) ON DELETE SET NULL,
        used_at REAL
    );
    CREATE TABLE reset_links (
        code_hash TEXT PRIMARY KEY,
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        used_at REAL
    );
    CREATE TABLE login_failures (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        first_at REAL NOT NULL
    );
    CREATE TABLE media (
        id INTEGER PRIMARY KEY,
        owner_id INTEGER REFERENCES local_actors(id) ON DELETE SET NULL,
        remote_url TEXT UNIQUE,
        path TEXT NOT NULL,
        thumbnail_path TEXT NOT NULL,
        media_type TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        blurhash TEXT NOT NULL,
        alt TEXT NOT NULL DEFAULT '',
        bytes INTEGER NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX media_owner ON media(owner_id);
    """,
    # 7: a member who deleted their account: kept (disabled, emptied) so that the name is
    # never taken again and the key still signs the Delete; never re-enabled.
    """
    ALTER TABLE local_actors ADD COLUMN deleted_at REAL;
    """,
    # 8: domains admins blocked from the web (instance.toml's [federation] block stays in the
    # file); `created_by` is the admin, NULL once their account is gone.
    """
    CREATE TABLE domain_blocks (
        domain TEXT PRIMARY KEY,
        reason TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        created_by INTEGER REFERENCES local_actors(id) ON DELETE SET NULL
    );
    """,
    # 9: OAuth 2 for Mastodon apps: registered apps (the secret kept as a hash), access
    # tokens with their scopes (a NULL app is a token made by `fedishare account token`; a
    # NULL actor is an app's own client_credentials token) and authorization codes. The
    # command-line tokens of before keep working with every scope.
    """
    CREATE TABLE oauth_apps (
        id INTEGER PRIMARY KEY,
        client_id TEXT NOT NULL UNIQUE,
        client_secret_hash TEXT NOT NULL,
        name TEXT NOT NULL,
        website TEXT,
        redirect_uris TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE oauth_tokens (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        app_id INTEGER REFERENCES oauth_apps(id) ON DELETE CASCADE,
        actor_id INTEGER REFERENCES local_actors(id) ON DELETE CASCADE,
        scopes TEXT NOT NULL,
        created_at REAL NOT NULL,
        last_used_at REAL
    );
    CREATE INDEX oauth_tokens_actor ON oauth_tokens(actor_id);
    CREATE INDEX oauth_tokens_app ON oauth_tokens(app_id);
    INSERT INTO oauth_tokens (token_hash, actor_id, scopes, created_at)
        SELECT token_hash, actor_id, 'read write follow push profile',
            CAST(strftime('%s', created_at) AS REAL) FROM access_tokens;
    DROP TABLE access_tokens;
    CREATE TABLE oauth_codes (
        code_hash TEXT PRIMARY KEY,
        app_id INTEGER NOT NULL REFERENCES oauth_apps(id) ON DELETE CASCADE,
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        redirect_uri TEXT NOT NULL,
        scopes TEXT NOT NULL,
        code_challenge TEXT,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    """,
    # 10: the status index, what the client API's timelines walk: one row per status an app
    # may show (our notes and listings, other servers' we keep, boosts), with a Mastodon-style
    # id (unix ms << 16 | 16 low bits, so that ids sort by time), its visibility (public,
    # unlisted, private, direct), hashtags (lowercased, without '#') and mentioned actors.
    # Kept in step by fedishare.storage.statuses, called by the writers of `objects` and
    # `listings`. Existing rows are back-filled here: low bits from the rowid (objects in
    # the lower half, listings in the upper; boosts a millisecond later), listings before
    # objects so that a listing kept in both is a listing; the community's Announces of
    # listings are its boosts. Reactions get an index by object, which a page of statuses
    # counts and lists its likes and boosts by.
    """
    CREATE TABLE statuses (
        id INTEGER PRIMARY KEY,
        uri TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('note', 'listing', 'reblog')),
        author TEXT NOT NULL,
        local_actor_id INTEGER,
        visibility TEXT NOT NULL
            CHECK (visibility IN ('public', 'unlisted', 'private', 'direct')),
        in_reply_to TEXT,
        reblog_of INTEGER,
        has_media INTEGER NOT NULL DEFAULT 0,
        published TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX statuses_author ON statuses(author, id);
    CREATE INDEX statuses_public ON statuses(id)
        WHERE visibility = 'public' AND deleted = 0 AND reblog_of IS NULL;
    CREATE INDEX statuses_public_local ON statuses(id)
        WHERE visibility = 'public' AND deleted = 0 AND reblog_of IS NULL
        AND local_actor_id IS NOT NULL;
    CREATE INDEX statuses_in_reply_to ON statuses(in_reply_to) WHERE in_reply_to IS NOT NULL;
    CREATE INDEX statuses_reblog_of ON statuses(reblog_of) WHERE reblog_of IS NOT NULL;
    CREATE INDEX reactions_object ON reactions(object_id, type);
    CREATE TABLE status_tags (
        tag TEXT NOT NULL,
        status_id INTEGER NOT NULL,
        PRIMARY KEY (tag, status_id)
    ) WITHOUT ROWID;
    CREATE INDEX status_tags_status ON status_tags(status_id);
    CREATE TABLE status_mentions (
        actor TEXT NOT NULL,
        status_id INTEGER NOT NULL,
        PRIMARY KEY (actor, status_id)
    ) WITHOUT ROWID;
    CREATE INDEX status_mentions_status ON status_mentions(status_id);
    INSERT INTO statuses (id, uri, kind, author, local_actor_id, visibility, in_reply_to,
            has_media, published, deleted)
        SELECT ((coalesce(CAST(strftime('%s', l.published) AS INTEGER),
                CAST(strftime('%s', 'now') AS INTEGER)) * 1000) << 16)
                | 32768 | (l.num & 32767),
            l.id, 'listing', l.author,
            CASE WHEN l.remote = 0 THEN (SELECT a.id FROM local_actors a
                WHERE lower(substr(l.author, -length(a.username) - 7))
                    = '/users/' || lower(a.username)) END,
            CASE l.visibility WHEN 'followers' THEN 'private' ELSE l.visibility END,
            NULL, l.extra LIKE '%"images"%', l.published, l.deleted
        FROM listings l;
    INSERT INTO statuses (id, uri, kind, author, local_actor_id, visibility, in_reply_to,
            has_media, published, deleted)
        SELECT ((coalesce(CAST(strftime('%s', o.published) AS INTEGER),
                CAST(strftime('%s', 'now') AS INTEGER)) * 1000) << 16) | (o.rowid & 32767),
            o.id, 'note', o.attributed_to, o.local_actor_id,
            CASE
                WHEN EXISTS (SELECT 1 FROM json_each(o.document, '$.to') t
                    WHERE t.value IN ('https://www.w3.org/ns/activitystreams#Public',
                        'as:Public', 'Public')) THEN 'public'
                WHEN EXISTS (SELECT 1 FROM json_each(o.document, '$.cc') t
                    WHERE t.value IN ('https://www.w3.org/ns/activitystreams#Public',
                        'as:Public', 'Public')) THEN 'unlisted'
                WHEN EXISTS (SELECT 1 FROM json_each(o.document, '$.to') t
                    WHERE t.value LIKE '%/followers' OR t.value = (SELECT r.followers
                        FROM remote_actors r WHERE r.id = o.attributed_to)) THEN 'private'
                WHEN EXISTS (SELECT 1 FROM json_each(o.document, '$.cc') t
                    WHERE t.value LIKE '%/followers' OR t.value = (SELECT r.followers
                        FROM remote_actors r WHERE r.id = o.attributed_to)) THEN 'private'
                ELSE 'direct'
            END,
            o.in_reply_to,
            EXISTS (SELECT 1 FROM json_each(o.document, '$.attachment')),
            o.published, o.deleted
        FROM objects o WHERE o.id NOT IN (SELECT uri FROM statuses);
    INSERT OR IGNORE INTO status_tags (tag, status_id)
        SELECT l.purpose, s.id FROM listings l JOIN statuses s ON s.uri = l.id
        WHERE l.deleted = 0;
    INSERT OR IGNORE INTO status_tags (tag, status_id)
        SELECT 'stay', s.id FROM listings l JOIN statuses s ON s.uri = l.id
        WHERE l.deleted = 0 AND l.kind = 'stay';
    INSERT OR IGNORE INTO status_tags (tag, status_id)
        SELECT lower(ltrim(json_extract(t.value, '$.name'), '#')), s.id
        FROM listings l JOIN listing_documents d USING (num)
            JOIN statuses s ON s.uri = l.id, json_each(d.document, '$.tag') t
        WHERE l.deleted = 0 AND t.type = 'object'
            AND json_extract(t.value, '$.type') = 'Hashtag'
            AND json_extract(t.value, '$.name') IS NOT NULL;
    INSERT OR IGNORE INTO status_tags (tag, status_id)
        SELECT lower(ltrim(json_extract(t.value, '$.name'), '#')), s.id
        FROM objects o JOIN statuses s ON s.uri = o.id AND s.kind = 'note',
            json_each(o.document, '$.tag') t
        WHERE o.deleted = 0 AND t.type = 'object'
            AND json_extract(t.value, '$.type') = 'Hashtag'
            AND json_extract(t.value, '$.name') IS NOT NULL;
    INSERT OR IGNORE INTO status_mentions (actor, status_id)
        SELECT json_extract(t.value, '$.href'), s.id
        FROM objects o JOIN statuses s ON s.uri = o.id AND s.kind = 'note',
            json_each(o.document, '$.tag') t
        WHERE o.deleted = 0 AND t.type = 'object'
            AND json_extract(t.value, '$.type') = 'Mention'
            AND json_extract(t.value, '$.href') IS NOT NULL;
    INSERT OR IGNORE INTO status_mentions (actor, status_id)
        SELECT t.value, s.id
        FROM objects o JOIN statuses s ON s.uri = o.id AND s.kind = 'note',
            (SELECT '$.to' AS path UNION ALL SELECT '$.cc' UNION ALL SELECT '$.bto'
                UNION ALL SELECT '$.bcc') k,
            json_each(o.document, k.path) t
        WHERE o.deleted = 0 AND t.type = 'text'
            AND t.value NOT IN ('https://www.w3.org/ns/activitystreams#Public',
                'as:Public', 'Public')
            AND t.value NOT LIKE '%/followers'
            AND t.value IS NOT (SELECT r.followers FROM remote_actors r
                WHERE r.id = o.attributed_to);
    INSERT INTO statuses (id, uri, kind, author, local_actor_id, visibility, reblog_of,
            has_media, published, deleted)
        SELECT ((coalesce(CAST(strftime('%s', a.published) AS INTEGER),
                CAST(strftime('%s', 'now') AS INTEGER)) * 1000 + 1) << 16) | (a.id & 65535),
            a.activity_id, 'reblog', json_extract(a.document, '$.actor'), a.actor_id,
            CASE WHEN a.public = 0 THEN 'private'
                WHEN EXISTS (SELECT 1 FROM json_each(a.document, '$.to') t
                    WHERE t.value = 'https://www.w3.org/ns/activitystreams#Public')
                THEN 'public' ELSE 'unlisted' END,
            s.id, s.has_media, a.published, s.deleted
        FROM outbox_activities a JOIN statuses s ON s.uri = a.object_id
        WHERE a.type = 'Announce' AND json_extract(a.document, '$.actor') IS NOT NULL
            AND a.activity_id NOT IN (SELECT uri FROM statuses)
    """,
    # 11: account ids. Mastodon apps know accounts by ids of digits (Ivory parses them as
    # numbers); ours are given to actor URIs, local or remote, the first time one is shown.
    """
    CREATE TABLE account_ids (
        id INTEGER PRIMARY KEY,
        uri TEXT NOT NULL UNIQUE
    );
    """,
    # 12: the client API's accounts (headers, fields, preferences, blocks, mutes).
    # `fields` is a JSON list of {"name", "value"}; `preferences` a JSON object keyed as
    # Mastodon's /api/v1/preferences. A block remembers the Block we sent (its Undo embeds
    # it); a mute is ours alone, with `expires_at` in unix seconds (NULL: for good).
    """
    ALTER TABLE local_actors ADD COLUMN header_media_id INTEGER;
    ALTER TABLE local_actors ADD COLUMN fields TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE local_actors ADD COLUMN preferences TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE local_actors ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE account_blocks (
        id INTEGER PRIMARY KEY,
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (actor_id, target)
    );
    CREATE INDEX account_blocks_target ON account_blocks(target);
    CREATE TABLE account_mutes (
        id INTEGER PRIMARY KEY,
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        notifications INTEGER NOT NULL DEFAULT 1,
        expires_at REAL,
        created_at REAL NOT NULL,
        UNIQUE (actor_id, target)
    );
    """,
    # 13: posting from apps (idempotency keys, bookmarks, media attached to statuses).
    # A repeated Idempotency-Key returns the status it made; bookmarks have their own id so
    # that /api/v1/bookmarks pages by when a status was bookmarked, as Mastodon does.
    """
    CREATE TABLE idempotency_keys (
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        status_uri TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (actor_id, key)
    );
    CREATE TABLE bookmarks (
        id INTEGER PRIMARY KEY,
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        status_id INTEGER NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (actor_id, status_id)
    );
    CREATE INDEX bookmarks_actor ON bookmarks(actor_id, id);
    ALTER TABLE media ADD COLUMN attached_to TEXT;
    """,
    # 14: notifications and markers. A notification's id is a snowflake of its time (unix ms
    # << 16), so ids sort by time as Mastodon's do; one event notifies once however often its
    # activity arrives (the unique index; a follow has no status, hence the coalesce).
    # Markers are the read positions apps keep. conversation_marks: when a member last read,
    # and hid, each of their private listing conversations (Mastodon's unread and DELETE).
    """
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY,
        recipient_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        from_actor TEXT NOT NULL,
        status_id INTEGER,
        created_at TEXT NOT NULL,
        dismissed INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX notifications_once
        ON notifications(recipient_id, type, from_actor, coalesce(status_id, 0));
    CREATE INDEX notifications_recipient ON notifications(recipient_id, id)
        WHERE dismissed = 0;
    CREATE TABLE markers (
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        timeline TEXT NOT NULL CHECK (timeline IN ('home', 'notifications')),
        last_read_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (actor_id, timeline)
    );
    CREATE TABLE conversation_marks (
        actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
        conversation_id INTEGER NOT NULL,
        read_at TEXT,
        hidden_at TEXT,
        PRIMARY KEY (actor_id, conversation_id)
    );
    """,
    # 15: edits of statuses, seen. `edit_seq` is the number of a status's latest edit, from
    # one sequence over the whole index (the next is max + 1: writes are serialised), so the
    # streaming poller finds what was edited since its last turn by a cursor, as it finds
    # new notifications by their ids (status ids are publication times: an edit keeps its
    # id). NULL for a status never edited.
    # Direct threads outside listings are conversations too: their marks keep the newest
    # status id read, and seen when hidden (times of a second would miss a reply made in
    # the same second as the reading).
    """
    ALTER TABLE statuses ADD COLUMN edit_seq INTEGER;
    CREATE INDEX statuses_edits ON statuses(edit_seq) WHERE edit_seq IS NOT NULL;
    ALTER TABLE conversation_marks ADD COLUMN read_status_id INTEGER;
    ALTER TABLE conversation_marks ADD COLUMN hidden_status_id INTEGER;
    """,
    # 16: moderation. A domain block has a severity: 'suspend' (no federation at all) or
    # 'silence' (Mastodon's "limit": federation goes on, its posts stay out of the board,
    # search and public timelines for those who do not follow the author). Admins block
    # single remote accounts, and suspend members (`reason`, who and when, for the admin
    # pages). `hidden_authors` is what searches and timelines leave out: remote authors
    # under a suspended or silenced domain, and the blocked accounts, recomputed by
    # fedishare.moderation when a block changes (matching hosts to domains per row at
    # query time cost ~10 µs a row); `hidden_authors_seen` marks the newest listing and
    # status looked at, so that authors first seen later are added by a cheap pass.
    """
    ALTER TABLE domain_blocks ADD COLUMN severity TEXT NOT NULL DEFAULT 'suspend'
        CHECK (severity IN ('suspend', 'silence'));
    CREATE TABLE remote_account_blocks (
        uri TEXT PRIMARY KEY,
        reason TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        created_by INTEGER REFERENCES local_actors(id) ON DELETE SET NULL
    );
    CREATE TABLE member_suspensions (
        actor_id INTEGER PRIMARY KEY REFERENCES local_actors(id) ON DELETE CASCADE,
        reason TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        created_by INTEGER REFERENCES local_actors(id) ON DELETE SET NULL
    );
    CREATE TABLE hidden_authors (
        author TEXT PRIMARY KEY,
        severity TEXT NOT NULL CHECK (severity IN ('suspend', 'silence'))
    ) WITHOUT ROWID;
    CREATE TABLE hidden_authors_seen (
        source TEXT PRIMARY KEY CHECK (source IN ('listings', 'statuses')),
        last INTEGER NOT NULL
    );
    """,
    # 17: reports of an account and its posts, made by our members or received as Flags
    # from other servers. One Flag reports each of our accounts it names once (the unique
    # key: a Flag handled again after a crash is not stored twice; reports made here have
    # no activity, or the Flag they were forwarded as). A reported post's title and text are
    # copied, so admins read what was reported even after the post is deleted or edited.
    """
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        activity_id TEXT,
        reporter TEXT NOT NULL,
        reporter_member_id INTEGER REFERENCES local_actors(id),
        target TEXT NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT 'other'
            CHECK (category IN ('spam', 'legal', 'violation', 'other')),
        rule_ids TEXT NOT NULL DEFAULT '',
        forwarded INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        resolved_at TEXT,
        resolved_by INTEGER REFERENCES local_actors(id) ON DELETE SET NULL,
        UNIQUE (activity_id, target)
    );
    CREATE INDEX reports_open ON reports(id) WHERE resolved_at IS NULL;
    CREATE INDEX reports_resolved ON reports(resolved_at) WHERE resolved_at IS NOT NULL;
    CREATE TABLE report_posts (
        report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        uri TEXT NOT NULL,
        status_id INTEGER,
        title TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (report_id, position)
    );
    """,
    # 18: finished outbox activities are pruned ([retention]; fedishare.storage.outbox says
    # which are kept): `created_at` dates each (unix seconds; 0 for older rows: old enough),
    # and an index by object finds an object's newer activities. A delivery host remembers
    # since when it has been failing, for the admins' page.
    """
    ALTER TABLE outbox_activities ADD COLUMN created_at REAL NOT NULL DEFAULT 0;
    CREATE INDEX outbox_activities_created ON outbox_activities(created_at);
    CREATE INDEX outbox_activities_object ON outbox_activities(object_id, actor_id, id);
    ALTER TABLE delivery_hosts ADD COLUMN failing_since REAL;
    """,
    # 19: a delivery's lease, beside its next_try, so that on PostgreSQL the per-host cap
    # counts the rows every worker process has in flight (fedishare.storage.deliveries): a
    # row is leased while lease_until = next_try is still ahead. SQLite leaves it at 0.
    """
    ALTER TABLE deliveries ADD COLUMN lease_until REAL NOT NULL DEFAULT 0;
    CREATE INDEX deliveries_leased ON deliveries(lease_until) WHERE lease_until > 0;
    """,
    # 20: rate-limit buckets shared by the web processes of an instance on PostgreSQL
    # (fedishare.storage.rate_buckets); SQLite's one web process keeps them in memory.
    """
    CREATE TABLE rate_buckets (
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        tokens REAL NOT NULL,
        updated REAL NOT NULL,
        PRIMARY KEY (name, key)
    ) WITHOUT ROWID;
    """,
]


async def schema_version(conn: aiosqlite.Connection) -> int:
    rows = list(await conn.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0])


def check_schema(version: int, where: str) -> None:
    """Refuse a database whose schema is not this fedishare's: newer (a newer fedishare
    wrote it) or older (`fedishare migrate` brings it up to date)."""
    if version > len(MIGRATIONS):
        raise SchemaOutOfDate(
            f"{where}: the database is at schema {version}, newer than this fedishare"
            f" ({len(MIGRATIONS)}): upgrade fedishare"
        )
    if version < len(MIGRATIONS):
        raise SchemaOutOfDate(
            f"{where}: the database is at schema {version}, older than this fedishare's"
            f" ({len(MIGRATIONS)}): run `fedishare migrate` first"
        )


async def apply_migrations(conn: aiosqlite.Connection) -> int:
    """Bring the database up to the newest schema; return the version reached."""
    version = await schema_version(conn)
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"the database is at schema {version}, newer than this fedishare ({len(MIGRATIONS)})"
        )
    if 0 < version < len(MIGRATIONS):
        await _back_up(conn, version)
    for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
        if version:  # a new database is made in one go; an existing one step by step
            log.info("migrating the database to schema %d of %d", number, len(MIGRATIONS))
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()
    if version < len(MIGRATIONS) and version:
        log.info("the database is at schema %d", len(MIGRATIONS))
    return len(MIGRATIONS)


async def _back_up(conn: aiosqlite.Connection, version: int) -> None:
    """Keep a copy of a database that has data before migrating it (any migration may alter
    or drop what it holds): DATABASE.before-migration-FROM-TO (fedishare.storage.backup)."""
    rows = await conn.execute_fetchall("PRAGMA database_list")
    path = next((str(row[2]) for row in rows if row[1] == "main"), "")
    if path:  # "" for an in-memory database
        await asyncio.to_thread(back_up_before_migration, Path(path), version, len(MIGRATIONS))


def _statements(sql: str) -> list[str]:
    # executescript would commit on its own; split so a migration stays one transaction.
    return [s.strip() for s in sql.split(";") if s.strip()]
