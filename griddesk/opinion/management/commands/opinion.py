"""``griddesk opinion train`` and ``griddesk opinion evaluate``.

train:    griddesk opinion train [--data FILE] [--text-column C] [--label-column L] [--out PATH] [--c 16]
          Default data: ChnSentiCorp train (the only data that may train the *shipped* model); the default
          output is then the package's data/negativity.npz.  With --data (a utility's own labelled items,
          1 = positive, 0 = negative) the default output is VAR_DIR/opinion/negativity.npz; pass that path as
          ``Analyzer(model_path=...)``.
evaluate: griddesk opinion evaluate FILE [--text-column C] [--label-column L] [--model PATH]
          [--sample N --seed S] [--no-snownlp]
          Prints accuracy, precision/recall/F1 of the negative class and items/s for GridDesk and SnowNLP,
          then ONE JSON line with those figures.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from griddesk.engines.text import NegativityModel
from griddesk.engines.text.training import DEFAULT_TRAIN_DATA, read_labelled, train
from griddesk.opinion.management.evaluation import compare


class Command(BaseCommand):
    help = "Public-opinion text analysis: train or evaluate the negativity classifier."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("train", help="train the negativity classifier")
        t.add_argument("--data", default=None, help=f"labelled CSV/TSV (default {DEFAULT_TRAIN_DATA})")
        t.add_argument("--text-column", default=None)
        t.add_argument("--label-column", default=None)
        t.add_argument("--out", default=None, help="output .npz")
        t.add_argument("--c", type=float, default=16.0, help="inverse regularisation strength")
        t.add_argument("--folds", type=int, default=5, help="folds for the out-of-fold calibration scores")
        e = sub.add_parser("evaluate", help="evaluate on a labelled CSV/TSV (1 = positive, 0 = negative)")
        e.add_argument("file")
        e.add_argument("--text-column", default=None)
        e.add_argument("--label-column", default=None)
        e.add_argument("--model", default=None, help="model .npz (default: the shipped one)")
        e.add_argument("--sample", type=int, default=None, help="evaluate a seeded random sample of N rows")
        e.add_argument("--seed", type=int, default=4)
        e.add_argument("--no-snownlp", action="store_true", help="skip the SnowNLP comparison")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "train":
            self._train(options)
        else:
            self._evaluate(options)

    def _train(self, o: dict[str, Any]) -> None:
        data_path = o["data"] or DEFAULT_TRAIN_DATA
        if o["out"]:
            out = Path(o["out"])
        elif o["data"] is None:
            out = Path(str(resources.files("griddesk.engines.text").joinpath("data", "negativity.npz")))
        else:
            out = Path(settings.VAR_DIR) / "opinion" / "negativity.npz"
        try:
            data = read_labelled(data_path, text_column=o["text_column"], label_column=o["label_column"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"training on {len(data.texts)} rows of {data_path} ({data.skipped} skipped)")
        try:
            model = train(data.texts, data.labels, c=o["c"], folds=o["folds"], source=Path(data_path).name,
                          log=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out.parent.mkdir(parents=True, exist_ok=True)
        model.save(out)
        self.stdout.write(f"vocabulary {model.meta['vocab_size']}, out-of-fold accuracy {model.meta['oof_accuracy']}, "
                          f"Platt A={model.platt_a:.4f} B={model.platt_b:.4f}")
        self.stdout.write(f"saved {out} ({out.stat().st_size / 1e6:.2f} MB)")

    def _evaluate(self, o: dict[str, Any]) -> None:
        try:
            model = NegativityModel.load(o["model"]) if o["model"] else None
            result = compare(o["file"], text_column=o["text_column"], label_column=o["label_column"], model=model,
                             sample=o["sample"], seed=o["seed"], with_snownlp=not o["no_snownlp"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if not result.griddesk.n:
            raise CommandError("no labelled rows (need a text column and a 0/1 label column)")
        what = f"{result.griddesk.n} rows" + (f" (seeded sample of {result.rows})" if result.sample else "")
        self.stdout.write(f"{result.file}: {what}, {result.skipped} skipped")
        self.stdout.write(f"{'':10} {'accuracy':>9} {'P(neg)':>8} {'R(neg)':>8} {'F1(neg)':>8} {'items/s':>10}")
        rows = [("griddesk", result.griddesk)] + ([("snownlp", result.snownlp)] if result.snownlp else [])
        for name, f in rows:
            self.stdout.write(f"{name:10} {f.accuracy:9.4f} {f.precision_neg:8.4f} {f.recall_neg:8.4f} "
                              f"{f.f1_neg:8.4f} {f.items_per_s:10.1f}")
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, sort_keys=True))
