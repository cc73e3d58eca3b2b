-- The city archive: items (Dublin Core as JSON, read whole), collections
-- (OAI-PMH sets), membership, and every change to an item.
-- updated_at is the item's OAI-PMH datestamp; a deleted item keeps its row
-- with deleted_at set, so harvesters learn of the deletion (deletedRecord
-- "persistent").

CREATE TABLE archive_items (
    id          TEXT PRIMARY KEY,
    record      TEXT NOT NULL,
    visibility  TEXT NOT NULL,
    -- BLAKE3 of the record: an import of an unchanged row writes nothing.
    fingerprint TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX archive_items_datestamp ON archive_items (updated_at, id);

CREATE TABLE archive_collections (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE archive_item_collections (
    collection_id TEXT NOT NULL REFERENCES archive_collections (id),
    item_id       TEXT NOT NULL REFERENCES archive_items (id),
    PRIMARY KEY (collection_id, item_id)
);
CREATE INDEX archive_item_collections_item ON archive_item_collections (item_id);

-- One row per version of an item: who, when, and what changed (a JSON list
-- of lines such as "+ dc:subject: maps").
CREATE TABLE archive_history (
    item_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    changes TEXT NOT NULL,
    PRIMARY KEY (item_id, version)
);
