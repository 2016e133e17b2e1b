"""The document store: the local folder (owner-only files, keys that cannot leave the
folder) on every database through the dossier's upload, and the S3-compatible store for
real against moto's S3 server on loopback (no mock of boto3 itself)."""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from participatie.engine import Participatie
from participatie.storage import (
    DocumentMissing,
    DocumentSettings,
    DocumentStore,
    LocalStore,
    S3Store,
    check_key,
    new_key,
    open_store,
)
from participatie.testing import free_port
from tests.backoffice.dossier_support import api_dossier, pdf_bytes


def roundtrip(store: DocumentStore) -> None:
    key = new_key("dossiers/test", ".pdf")
    body = pdf_bytes(50_000)
    store.put(key, body, "application/pdf")
    assert store.get(key) == body
    assert store.size(key) == len(body)
    store.put(key, b"%PDF-1.4 korter", "application/pdf")
    assert store.get(key) == b"%PDF-1.4 korter"
    store.delete(key)
    store.delete(key)  # twice is harmless
    with pytest.raises(DocumentMissing):
        store.get(key)
    with pytest.raises(DocumentMissing):
        store.size(key)


def test_dossier_local_store_roundtrip_and_owner_only(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "docs")
    assert isinstance(store, DocumentStore)
    roundtrip(store)
    key = new_key("dossiers/x", ".png")
    store.put(key, b"\x89PNG\r\n\x1a\n", "image/png")
    path = tmp_path / "docs" / key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not list(path.parent.glob("*.part"))


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "a/../../b", "A B", "", "a//b"])
def test_dossier_store_keys_cannot_leave_the_store(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="not a document key"):
        check_key(key)
    with pytest.raises(ValueError):
        LocalStore(tmp_path).put(key, b"x", "text/plain")


def test_dossier_upload_goes_to_the_configured_folder(p: Participatie, tmp_path: Path) -> None:
    """On every database: the facade's store is the settings' folder."""

    p.document_store = open_store(DocumentSettings(folder=tmp_path / "map"))
    dossier = uuid.UUID(api_dossier(p))
    body = pdf_bytes(2 * 1024 * 1024)
    doc = p.reactions.upload_document(
        dossier, title="Plan", filename="Plan (def).PDF", data=body, actor="test"
    )
    assert doc.filename == "Plan def.pdf"
    files = [f for f in (tmp_path / "map").rglob("*") if f.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == body
    meta, read = p.reactions.document_file(dossier, doc.id)
    assert read == body and meta.sha256 == hashlib.sha256(body).hexdigest()
    p.reactions.remove_document(dossier, doc.id, actor="test")
    assert not [f for f in (tmp_path / "map").rglob("*") if f.is_file()]


@pytest.fixture
def s3_server() -> Iterator[str]:
    server_module = pytest.importorskip("moto.server")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ["AWS_ACCESS_KEY_ID"] = "test"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "test"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_dossier_s3_store_against_a_real_s3_server(s3_server: str, p: Participatie) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=s3_server, region_name="eu-west-1")
    # moto keeps its buckets per process: a name of this test's own.
    bucket = f"gemeente-documenten-{uuid.uuid4().hex[:8]}"
    client.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    settings = DocumentSettings(
        backend="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_server,
        s3_region="eu-west-1",
        s3_prefix="participatie/",
    )
    store = open_store(settings)
    assert isinstance(store, S3Store)
    roundtrip(store)
    # Through the dossier: the object is in the bucket under the prefix, with its type.
    p.document_store = store
    dossier = uuid.UUID(api_dossier(p))
    body = pdf_bytes(100_000)
    doc = p.reactions.upload_document(
        dossier, title="Plan", filename="plan.pdf", data=body, actor="test"
    )
    [obj] = client.list_objects_v2(Bucket=bucket)["Contents"]
    assert obj["Key"].startswith("participatie/dossiers/") and obj["Size"] == len(body)
    head = client.head_object(Bucket=bucket, Key=obj["Key"])
    assert head["ContentType"] == "application/pdf"
    assert p.reactions.document_file(dossier, doc.id)[1] == body


def test_dossier_s3_store_names_a_missing_bucket(s3_server: str) -> None:
    from participatie.storage import StorageUnavailable

    store = S3Store("bestaat-niet", endpoint_url=s3_server, region="eu-west-1")
    with pytest.raises(StorageUnavailable, match="NoSuchBucket"):
        store.put("dossiers/a.pdf", b"%PDF-", "application/pdf")
