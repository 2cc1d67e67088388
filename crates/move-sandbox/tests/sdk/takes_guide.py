"""Every call of Move's takes guide, made with Move's own Python SDK against the sandbox.

Run by crates/move-sandbox/tests/it/sdk.rs with MOVE_ENDPOINT and MOVE_API_KEY set; exits
non-zero with a message naming the call that failed.
"""

import os
import sys

import requests
from move_ugc import MoveUgc
from move_ugc.schemas.commons import SortDirection
from move_ugc.schemas.job import JobOptions
from move_ugc.schemas.sources import SourceIn


def check(cond, what):
    if not cond:
        sys.exit(f"FAILED: {what}")


def upload(ugc, file_type, data):
    """files.create, then a PUT of the bytes to its presigned URL (the usage guide)."""
    file = ugc.files.create(file_type=file_type)
    check(file.id.startswith("file-"), f"files.create({file_type}) gave {file.id}")
    answer = requests.put(str(file.presigned_url), data=data, timeout=30)
    check(answer.status_code == 200, f"PUT {file_type}: {answer.status_code} {answer.text}")
    return file.id


def main():
    ugc = MoveUgc(api_key=os.environ["MOVE_API_KEY"], endpoint_url=os.environ["MOVE_ENDPOINT"])

    client = ugc.client.retrieve()
    check(client.id == "client-sandbox", f"client.retrieve(): {client}")

    video = upload(ugc, "mp4", b"video bytes" * 100)
    sidecar = upload(ugc, "move", b"move bytes")

    plain = ugc.takes.create_singlecam(
        sources=[SourceIn(device_label="my-device", file_id=video, format="mp4")],
    )
    take = ugc.takes.create_singlecam(
        sources=[
            SourceIn(device_label="my-device", file_id=video, format="mp4"),
            SourceIn(device_label="my-device", file_id=sidecar, format="move"),
        ],
        metadata={"foo": "bar"},
    )
    check(take.metadata == {"foo": "bar"}, f"create_singlecam metadata: {take.metadata}")

    got = ugc.takes.retrieve(id=take.id)
    check(got.id == take.id and got.metadata == {"foo": "bar"}, f"takes.retrieve: {got}")
    got = ugc.takes.retrieve(id=take.id, expand=["sources"])
    formats = [(s.format, s.file.id) for s in got.sources]
    check(formats == [("MP4", video), ("MOVE", sidecar)], f"expand=sources: {formats}")
    got = ugc.takes.retrieve(id=take.id, expand=["client"])
    check(got.client is not None and got.client.id == client.id, f"expand=client: {got.client}")

    updated = ugc.takes.update(id=take.id, metadata={"foo": "baz"})
    check(updated.metadata == {"foo": "baz"}, f"takes.update: {updated.metadata}")

    for i in range(3):
        ugc.takes.create_singlecam(
            sources=[SourceIn(device_label=f"cam-{i}", file_id=video, format="mp4")],
        )
    every = ugc.takes.list()
    check(len(every.items) == 5, f"takes.list(): {len(every.items)} takes")
    check(every.items[-1].id == plain.id, "takes.list() is newest first")

    first = ugc.takes.list(limit=2)
    check(len(first.items) == 2 and first.next_token, f"list(limit=2): {first}")
    second = ugc.takes.list(limit=2, next_token=first.next_token)
    third = ugc.takes.list(limit=2, next_token=second.next_token)
    paged = [t.id for t in first.items + second.items + third.items]
    check(paged == [t.id for t in every.items], f"paging gave {paged}")
    check(third.next_token is None, f"the last page has no next token: {third.next_token}")

    oldest = ugc.takes.list(sort_by=SortDirection.ASC)
    check(oldest.items[0].id == plain.id, "sort_by=ASC is oldest first")

    expanded = ugc.takes.list(expand=["sources", "client"])
    check(all(t.sources and t.client for t in expanded.items), "list(expand=[sources, client])")
    print("every call of the takes guide succeeded")
    jobs(ugc, take.id)
    print("every job call succeeded")


def jobs(ugc, take_id):
    """jobs.create_singlecam, jobs.retrieve with expand=[outputs], jobs.list: the sandbox runs
    with --job-queue-ms 0 --job-run-ms 0, so a job is FINISHED at once. (SDK 4.1.0 always asks
    for `progress`; its expand=["progress"] is a KeyError in the SDK itself.)"""
    job = ugc.jobs.create_singlecam(
        take_id=take_id,
        metadata={"foo": "bar"},
        options=JobOptions(trackFingers=True),
        outputs=["MAIN_FBX", "RENDER_VIDEO"],
    )
    check(job.id.startswith("job-"), f"jobs.create_singlecam: {job.id}")
    check(job.metadata == {"foo": "bar"}, f"jobs.create_singlecam metadata: {job.metadata}")

    got = ugc.jobs.retrieve(id=job.id, expand=["outputs"])
    check(got.progress.state == "FINISHED", f"jobs.retrieve progress: {got.progress}")
    check(got.progress.percentage_complete == 100, f"percentage: {got.progress}")
    formats = sorted(o.format for o in got.outputs)
    check(formats == ["fbx", "mp4"], f"expand=outputs: {formats}")
    for output in got.outputs:
        answer = requests.get(str(output.file.presigned_url), timeout=30)
        check(answer.status_code == 200 and answer.content, f"GET {output.format}: {answer.status_code}")

    listed = ugc.jobs.list(take_id=take_id)
    check([j.id for j in listed.items] == [job.id], f"jobs.list(take_id): {listed.items}")
    check(len(ugc.jobs.list().items) == 1, "jobs.list()")


if __name__ == "__main__":
    main()
