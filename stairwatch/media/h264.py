"""Just enough of H.264's byte stream to copy a camera's packets into MP4: NAL units out of
Annex B (start codes, as RTSP delivers them) or length-prefixed packets (as MP4 files keep
them, with an ``avcC`` record as extradata), and the profile of a sequence parameter set."""

from __future__ import annotations

from dataclasses import dataclass

START_CODE = b"\x00\x00\x01"
SPS = 7  # nal_unit_type of a sequence parameter set


class H264Error(Exception):
    """Bytes that are not the H.264 they claim to be."""


def nal_type(nal: bytes) -> int:
    return nal[0] & 0x1F


def annexb_units(data: bytes) -> list[bytes]:
    """NAL units between start codes (3 or 4 bytes); trailing zero bytes are not part of a
    unit (a NAL unit never ends in 0x00)."""
    units = []
    at = data.find(START_CODE)
    while at >= 0:
        begin = at + len(START_CODE)
        at = data.find(START_CODE, begin)
        unit = data[begin : at if at >= 0 else len(data)].rstrip(b"\x00")
        if unit:
            units.append(unit)
    return units


def length_prefixed_units(data: bytes, length_size: int) -> list[bytes]:
    """NAL units of an MP4 sample: each preceded by its size in ``length_size`` bytes."""
    units, at = [], 0
    while at + length_size <= len(data):
        size = int.from_bytes(data[at : at + length_size], "big")
        at += length_size
        if size == 0 or at + size > len(data):
            raise H264Error(f"a NAL unit of {size} bytes overruns its {len(data)}-byte packet")
        units.append(data[at : at + size])
        at += size
    return units


@dataclass(frozen=True)
class AvcConfig:
    """An ``avcC`` record: the size of the packets' length prefixes and the parameter sets."""

    length_size: int
    parameter_sets: tuple[bytes, ...]


def avc_config(extradata: bytes) -> AvcConfig:
    """Parse an ``avcC`` record (ISO/IEC 14496-15): version 1, profile, compatibility, level,
    length size, then counted SPS and PPS, each with a 16-bit size."""
    try:
        length_size = (extradata[4] & 0x03) + 1
        units: list[bytes] = []
        at = 5
        for mask in (0x1F, 0xFF):  # the SPS count has 3 reserved bits above it
            count = extradata[at] & mask
            at += 1
            for _ in range(count):
                size = int.from_bytes(extradata[at : at + 2], "big")
                units.append(extradata[at + 2 : at + 2 + size])
                at += 2 + size
    except IndexError as exc:
        raise H264Error(f"avcC record of {len(extradata)} bytes is cut short") from exc
    if any(not unit for unit in units):
        raise H264Error("avcC record holds an empty parameter set")
    return AvcConfig(length_size, tuple(units))


def annexb(units: list[bytes]) -> bytes:
    return b"".join(START_CODE + unit for unit in units)


def profile_idc(sps: bytes) -> int:
    """The profile of a sequence parameter set (its first byte after the NAL header):
    66 Baseline, 77 Main, 100 High, 110 High 10, 122 High 4:2:2, ..."""
    if len(sps) < 2 or nal_type(sps) != SPS:
        raise H264Error("not a sequence parameter set")
    return sps[1]
