"""What ingest, search and chat share about text, below all three.

* :mod:`lang.text` — normalisation (NFKC, traditional → simplified) and jieba tokenizers with the
  gazetteer's surfaces as user dictionary;
* :mod:`lang.gazetteer` — every name and synonym of every known entity (compiled from the graph),
  matched longest-first;
* :mod:`lang.values` — value rules: amounts, durations and dates in policy text, amounts as people
  say them; :mod:`lang.numbers` — the one reader of Arabic and Chinese numerals under them.

* :mod:`lang.detect` — language identification (the ten languages Zhiku serves, or ``und``);
* :mod:`lang.analysers` — keyword tokens per language (jieba, MeCab, Kiwi, Snowball).

This package imports only
``zhiku`` (types) and ``queries`` (the gazetteer's named query), never a stage.
"""
