"""The query path, one step a file: condense (follow-ups), question (analysis), dates, retrieve
(dense + keyword, fused), rank (sentence scoring) and answerer (abstention, verified citations)."""
