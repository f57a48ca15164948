"""Casualty and event facts in news English: the parts of the ``events`` enrichment stage.

``segments`` cuts text into paragraphs and sentences with offsets, ``quantities`` reads numbers and
the people they count, ``patterns`` finds the event phrases, ``places`` and ``dates`` attach where and
when from the surrounding text.
"""
