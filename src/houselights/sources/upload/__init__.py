"""The upload source: a documented CSV/XLSX template for any box office without an API.

``read_upload(path)`` checks a file's header and yields exchange batches; see
:mod:`houselights.sources.upload.reader` for the flow, ``columns`` for the template,
``mapping`` for the rules, ``template`` for the empty template and ``generate`` for
synthetic files. The user documentation is ``docs/upload-template.md``.
"""

from houselights.sources.upload.reader import DetectedFormat, UploadReader, read_upload

__all__ = ["DetectedFormat", "UploadReader", "read_upload"]
