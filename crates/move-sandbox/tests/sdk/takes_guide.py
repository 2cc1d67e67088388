"""Every call of Move's takes guide, then the multicam calls, made with Move's own Python SDK
against the sandbox.

Run by crates/move-sandbox/tests/it/sdk.rs with MOVE_ENDPOINT and MOVE_API_KEY set; exits
non-zero with a message naming the call that failed.
"""

import os
import sys

import requests
from move_ugc import MoveUgc
from move_ugc.schemas.commons import SortDirection
from move_ugc.schemas.job import JobOptions
from move_ugc.schemas.sources import CameraSettings, SourceIn
from move_ugc.schemas.sync_method import ClapWindowInput, SyncMethodInput, TimecodeSyncInput
from move_ugc.schemas.volume import AreaType


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
    multicam(ugc)
    print("every multicam call succeeded")


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


def multicam(ugc):
    """camera_settings.list, rigs.list, volumes.create_human_volume, retrieve_human_volume,
    volumes.list, takes.create_multicam, jobs.create_multicam (the sandbox runs with
    --volume-queue-ms 0 --volume-run-ms 0, so a volume is FINISHED at once)."""
    lenses = [c.lens for c in ugc.camera_settings.list().items]
    check(len(lenses) >= 2, f"camera_settings.list(): {lenses}")
    rigs = [r.name for r in ugc.rigs.list().items]
    check(rigs == ["move_mo", "move_one"], f"rigs.list(): {rigs}")

    cameras = [(f"cam-{i}", lenses[i], upload(ugc, "mp4", f"camera {i}".encode() * 50)) for i in range(3)]
    sources = [
        SourceIn(device_label=label, file_id=file_id, format="mp4", camera_settings=CameraSettings(lens=lens))
        for label, lens, file_id in cameras
    ]
    volume = ugc.volumes.create_human_volume(
        sources=sources,
        human_height=1.75,
        area_type=AreaType.NORMAL,
        sync_method=SyncMethodInput(timecode_sync=TimecodeSyncInput(use_timecode=True)),
        metadata={"site": "studio"},
        name="studio volume",
    )
    check(volume.id.startswith("volume-"), f"create_human_volume: {volume.id}")
    check(volume.metadata == {"site": "studio"}, f"create_human_volume metadata: {volume.metadata}")
    check(volume.human_height == 1.75 and volume.area_type == AreaType.NORMAL, f"volume: {volume}")

    got = ugc.volumes.retrieve_human_volume(id=volume.id, expand=["sources", "client"])
    check(got.state == "FINISHED" and got.progress.percentage_complete == 100, f"retrieve_human_volume: {got.progress}")
    # SDK 4.1.0's Source.camera_settings has only a serialization alias, so it never reads the
    # cameraSettings the API answers; the Rust tests check the lenses in the raw answer.
    got_sources = [(s.device_label, s.file.id) for s in got.sources]
    check(got_sources == [(label, file_id) for label, _, file_id in cameras], f"volume sources: {got_sources}")
    check(got.client is not None and got.client.id == "client-sandbox", f"volume client: {got.client}")

    listed = ugc.volumes.list()
    check([v.id for v in listed.items] == [volume.id], f"volumes.list(): {listed.items}")
    check(listed.items[0].metadata == {"site": "studio"}, "volumes.list() returns the metadata")

    take = ugc.takes.create_multicam(
        sources=sources[:2],
        volume_id=volume.id,
        sync_method=SyncMethodInput(clap_window=ClapWindowInput(start_time=1.0, end_time=2.5)),
        metadata={"foo": "multi"},
        expand=["sources"],
    )
    check(take.id.startswith("take-"), f"takes.create_multicam: {take.id}")
    check(take.metadata == {"foo": "multi"}, f"create_multicam metadata: {take.metadata}")
    labels = [(s.device_label, s.file.id) for s in take.sources]
    check(labels == [(label, file_id) for label, _, file_id in cameras[:2]], f"create_multicam sources: {labels}")

    job = ugc.jobs.create_multicam(
        take_id=take.id,
        number_of_actors=2,
        rig="move_one",
        outputs=["MAIN_FBX"],
        metadata={"foo": "bar"},
        expand=["rig", "take"],
    )
    check(job.id.startswith("job-"), f"jobs.create_multicam: {job.id}")
    check(job.rig is not None and job.rig.name == "move_one", f"jobs.create_multicam rig: {job.rig}")
    check(job.take is not None and job.take.id == take.id, f"jobs.create_multicam take: {job.take}")
    got = ugc.jobs.retrieve(id=job.id, expand=["outputs", "inputs"])
    check(got.progress.state == "FINISHED", f"multicam job progress: {got.progress}")
    check(got.inputs.number_of_actors == 2, f"multicam job inputs: {got.inputs}")
    check([o.format for o in got.outputs] == ["fbx"], f"multicam job outputs: {got.outputs}")
    default_rig = ugc.jobs.create_multicam(take_id=take.id, number_of_actors=1, expand=["rig"])
    check(default_rig.rig.name == "move_mo", f"the SDK's default rig (empty) is move_mo: {default_rig.rig}")


if __name__ == "__main__":
    main()
