"""Untrusted XML in: a size cap, no DTD, no entities, no external references (defusedxml).

Every way a body can be unusable ends as one `XmlInputError` whose message says what is wrong,
so a view answers a clear 4xx (or its format's own error document), never a 500.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException, DTDForbidden

from .errors import InvalidInput

MAX_XML_BYTES = 16 * 1024  # an Autodiscover request is about 400 bytes


class XmlInputError(InvalidInput):
    code = "invalid_xml"


class XmlTooLarge(XmlInputError):
    status = 413
    code = "body_too_large"


def parse_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> ET.Element:
    """The root element of `data`; the encoding comes from the BOM or XML declaration (UTF-8 default)."""
    if len(data) > max_bytes:
        raise XmlTooLarge(f"the body is larger than {max_bytes} bytes")
    if not data.strip(b" \t\r\n\x00"):
        raise XmlInputError("the body is empty; send an XML document")
    try:
        root: ET.Element = DefusedET.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DTDForbidden:
        raise XmlInputError("a DOCTYPE (DTD) is not allowed in the body") from None
    except DefusedXmlException:
        raise XmlInputError("entities and external references are not allowed in the body") from None
    except ET.ParseError as exc:
        raise XmlInputError(f"the body is not well-formed XML: {exc}") from None
    except (LookupError, ValueError) as exc:  # an encoding expat and Python do not know
        raise XmlInputError(f"the body's encoding cannot be read: {exc}") from None
    return root


def local_name(tag: object) -> str:
    """`{namespace}Name` → `Name`; clients disagree on namespaces, never on local names."""
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def children(parent: ET.Element, name: str) -> list[ET.Element]:
    """The direct children called `name`, whatever their namespace."""
    return [child for child in parent if local_name(child.tag) == name]
