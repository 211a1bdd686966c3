"""Writes the raw tables of the example, deterministically, with the mess real exports have.

``python -m spaceflights.data_generator [--shuttles N] [--seed S] [--out data/01_raw]``

The values look like the exports analysts receive: ratings as ``"90%"``, prices as
``"$1,325.0"``, booleans as ``"t"``/``"f"``, and some missing values. A few rows are wrong on
purpose (a rating above 100%, a shuttle with no passenger seats), so that the example's data
validation has something to find.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

LOCATIONS = ["Niue", "Anguilla", "Russian Federation", "Barbados", "Sao Tome and Principe"]
SHUTTLE_TYPES = ["Type V5", "Type F5", "Type V2", "Type F2"]
ENGINE_TYPES = ["Quantum", "Plasma", "Nuclear"]
ENGINE_VENDORS = ["ThetaBase Services", "Banks, Wood and Phillips", "Rojas-Ewing"]
POLICIES = ["strict", "moderate", "flexible"]

#: How many rows of each table are deliberately invalid.
BAD_ROWS = 3


def _flag(rng: random.Random) -> str:
    return "t" if rng.random() < 0.6 else "f"


def _maybe_missing(rng: random.Random, value: str, rate: float = 0.03) -> str:
    return "" if rng.random() < rate else value


def companies(rng: random.Random, count: int) -> list[dict[str, str]]:
    """Companies with a rating like ``"90%"`` and an IATA flag like ``"t"``."""
    rows = []
    for company_id in range(count):
        rating = f"{rng.randint(40, 100)}%"
        rows.append(
            {
                "id": str(company_id),
                "company_rating": _maybe_missing(rng, rating),
                "company_location": rng.choice(LOCATIONS),
                "total_fleet_count": str(rng.randint(1, 8)),
                "iata_approved": _flag(rng),
            }
        )
    for row in rows[:BAD_ROWS]:
        row["company_rating"] = "150%"  # impossible: above 100%
    return rows


def shuttles(rng: random.Random, count: int, company_count: int) -> list[dict[str, str]]:
    """Shuttles with a price like ``"$1,325.0"`` that depends on what the shuttle offers."""
    rows = []
    for shuttle_id in range(count):
        engines = rng.randint(1, 4)
        capacity = rng.randint(1, 12)
        crew = rng.randint(1, 6)
        d_check = _flag(rng)
        price = (
            400.0
            + 180.0 * capacity
            + 120.0 * engines
            + 60.0 * crew
            + (250.0 if d_check == "t" else 0.0)
            + rng.gauss(0, 120)
        )
        rows.append(
            {
                "id": str(shuttle_id),
                "shuttle_location": rng.choice(LOCATIONS),
                "shuttle_type": rng.choice(SHUTTLE_TYPES),
                "engine_type": rng.choice(ENGINE_TYPES),
                "engine_vendor": rng.choice(ENGINE_VENDORS),
                "engines": _maybe_missing(rng, str(engines)),
                "passenger_capacity": str(capacity),
                "cancellation_policy": rng.choice(POLICIES),
                "crew": _maybe_missing(rng, str(crew)),
                "d_check_complete": d_check,
                "moon_clearance_complete": _flag(rng),
                "price": f"${max(price, 50.0):,.1f}",
                "company_id": str(rng.randrange(company_count)),
            }
        )
    for row in rows[:BAD_ROWS]:
        row["passenger_capacity"] = "0"  # a passenger shuttle without seats
    return rows


def reviews(rng: random.Random, shuttle_count: int) -> list[dict[str, str]]:
    """One review summary per shuttle; scores out of 100."""
    return [
        {
            "shuttle_id": str(shuttle_id),
            "review_scores_rating": _maybe_missing(rng, f"{rng.uniform(60, 100):.1f}"),
            "review_scores_comfort": f"{rng.uniform(5, 10):.1f}",
            "number_of_reviews": str(rng.randint(0, 120)),
            "reviews_per_month": f"{rng.uniform(0, 6):.2f}",
        }
        for shuttle_id in range(shuttle_count)
    ]


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    temporary.replace(path)


def generate(out: Path, shuttle_count: int = 2000, seed: int = 42) -> None:
    """Write companies.csv, shuttles.csv and reviews.csv into ``out``."""
    rng = random.Random(seed)
    company_count = max(shuttle_count // 10, BAD_ROWS + 1)
    _write(out / "companies.csv", companies(rng, company_count))
    _write(out / "shuttles.csv", shuttles(rng, shuttle_count, company_count))
    _write(out / "reviews.csv", reviews(rng, shuttle_count))


def main() -> None:
    """Command line: generate the raw data."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shuttles", type=int, default=2000, help="rows of shuttles.csv")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("data/01_raw"))
    arguments = parser.parse_args()
    generate(arguments.out, arguments.shuttles, arguments.seed)
    print(f"Wrote companies.csv, shuttles.csv and reviews.csv to {arguments.out}")


if __name__ == "__main__":
    main()
