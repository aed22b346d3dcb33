"""Write demo/data/orders.csv: 250,000 made-up orders (deterministic, a few MB)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROWS = 250_000
OUT = Path(__file__).parent / "data" / "orders.csv"


def main() -> None:
    OUT.parent.mkdir(exist_ok=True)
    ids = pa.array(range(1, ROWS + 1), pa.int64())
    statuses = pa.array(["placed", "paid", "shipped", "delivered"])
    table = pa.table(
        {
            "order_id": ids,
            "customer_id": pc.add(pc.divide(ids, 4), 1000),
            "status": pc.take(statuses, pc.cast(pc.bit_wise_and(ids, 3), pa.int32())),
            "amount": pc.divide(
                pc.cast(pc.bit_wise_and(pc.multiply(ids, 7919), 65535), pa.float64()), 100
            ),
            "ordered_at": pc.cast(
                pc.add(pc.multiply(ids, 60_000_000), 1_700_000_000_000_000), pa.timestamp("us")
            ),
        }
    )
    pacsv.write_csv(table, OUT)
    print(f"wrote {OUT} ({ROWS:,} rows)")


if __name__ == "__main__":
    main()
