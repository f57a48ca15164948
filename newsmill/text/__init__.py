"""Text segmentation, the one home for it: paragraphs, sentences and words (:mod:`.segment`), wire
datelines (:mod:`.dateline`) and the date grammar they share with the date stages (:mod:`.dategrammar`).

Every stage that cuts text into pieces asks these modules, so "a paragraph" or "a word" means the same
thing in the clean stage, in the word count and in every enrichment.
"""
