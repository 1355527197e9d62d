"""Settlement through the scripted chain: detection, confirmations,
under/over/late payments, closed invoices, wrong assets, unmatched
payments, expiry, events, status, metrics and the ledger invariants."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import settlelib as sl  # noqa: E402
from settlelib import cgtest  # noqa: E402

ONE = 10 ** 18


def main():
    cgtest.need_db()
    check = cgtest.Check()
    db = cgtest.Database()
    tmp = tempfile.mkdtemp(prefix="cgsettle-")
    chain = sl.Chain(os.path.join(tmp, "chain.json"))
    try:
        d = sl.start_daemon(db, chain.path)
        fx = sl.Fixture(db)
        a, a_addr = fx.invoice("1.5")                 # paid in full
        b, b_addr = fx.invoice("2")                   # under, then top-up
        c, c_addr = fx.invoice("1")                   # overpaid
        late, late_addr = fx.invoice("1", expires_in=30)
        cancel, cancel_addr = fx.invoice("1", status="cancelled")
        wrong, wrong_addr = fx.invoice("1")           # paid in the token
        exp, exp_addr = fx.invoice("1", expires_in=20)   # no payment
        part, part_addr = fx.invoice("1", expires_in=20)  # partial, expires
        tol, tol_addr = fx.invoice("1", tolerance="0.0100")
        tok, tok_addr = fx.invoice("2.5", token=True)
        mem, mem_addr = fx.invoice("1")               # seen in the mempool
        _, free_addr = fx.address()                   # no invoice
        with d:
            d.start()
            chain.mine(2)
            sl.wait_until("scanner at the tip", lambda: db.scalar(
                "SELECT cursor_height FROM scanner_state WHERE "
                "instance = 'scripted'") == str(chain.tip() + 1))

            # Block 3: A in full, B partly, C over, two invoices in one block.
            chain.add_block([sl.transfer(a_addr, 15 * ONE // 10),
                             sl.transfer(b_addr, ONE),
                             sl.transfer(c_addr, 3 * ONE // 2),
                             sl.transfer(cancel_addr, ONE),
                             sl.transfer(wrong_addr, 1000000,
                                         contract=sl.TOKEN_CONTRACT),
                             sl.transfer(free_addr, 7 * ONE),
                             sl.transfer("sc-not-ours", ONE),
                             sl.transfer(part_addr, ONE // 2),
                             sl.transfer(tol_addr, 995 * ONE // 1000),
                             sl.transfer(tok_addr, 2500000,
                                         contract=sl.TOKEN_CONTRACT)])
            sl.wait_until("A processing",
                          lambda: fx.inv(a)["status"] == "processing")
            check.eq(fx.inv(b)["status"], "partially_paid", "B partially paid")
            check.eq(fx.inv(c)["status"], "processing", "C processing")
            check.eq(fx.inv(a)["received"], "1.500000000000000000",
                     "A received computed from its payment")
            check.eq(db.scalar("SELECT tx_position FROM transactions WHERE "
                               "to_address = '%s'" % a_addr), "-1",
                     "a native value transfer is stored at position -1")
            check.eq(db.scalar("SELECT tx_position FROM transactions WHERE "
                               "to_address = '%s'" % tok_addr), "0",
                     "a token log keeps its position in the receipt")
            check.eq(fx.inv(a)["confirmed"], "0.000000000000000000",
                     "A nothing confirmed yet")
            check.eq(fx.balances(sl.W_COIN)[1], "0.000000000000000000",
                     "no confirmed balance before confirmations")

            # Confirmations: block 3 + 1 more = 2 confirmations.
            chain.mine(1)
            sl.wait_until("A settled", lambda: fx.inv(a)["status"] == "settled")
            check.eq(fx.inv(c)["status"], "settled", "C settled")
            check.eq(fx.inv(c)["paid_over"], "1", "C flagged paid_over")
            check.eq(fx.inv(a)["paid_over"], "0", "A not paid_over")
            check.eq(fx.inv(tol)["status"], "settled",
                     "0.5% short settles within a 1% tolerance")
            check.eq(fx.inv(tok)["status"], "settled", "token invoice settled")
            check.eq(fx.inv(tok)["received"], "2.500000000000000000",
                     "token amount scaled by its 6 decimals")
            check.eq(fx.inv(b)["status"], "partially_paid", "B still partial")

            # Top-up for B.
            chain.add_block([sl.transfer(b_addr, ONE)])
            sl.wait_until("B processing",
                          lambda: fx.inv(b)["status"] == "processing")
            check.eq(fx.inv(b)["received"], "2.000000000000000000",
                     "B received both payments")
            check.eq(fx.inv(b)["count"], 2, "B counts two payments")
            chain.mine(1)
            sl.wait_until("B settled", lambda: fx.inv(b)["status"] == "settled")

            # Late: a block after the deadline carries the payment.
            chain.add_block([sl.transfer(late_addr, ONE)],
                            t=chain.t0 + 200 + 100)
            sl.wait_until("late payment processed",
                          lambda: fx.inv(late)["paid_late"] == "1")
            check(fx.inv(late)["status"] in ("processing", "settled"),
                  "late payment still pays the invoice (status %s)" %
                  fx.inv(late)["status"])
            check.eq(db.scalar("SELECT match_status FROM transactions WHERE "
                               "invoice_id = '%s'" % late), "LATE",
                     "late payment matched LATE")
            # That block's time is past the deadlines of EXP and PART.
            sl.wait_until("EXP expired", lambda: fx.inv(exp)["status"] ==
                          "expired")
            check.eq(fx.inv(exp)["paid_partial"], "0", "EXP no partial flag")
            sl.wait_until("PART expired",
                          lambda: fx.inv(part)["status"] == "expired")
            check.eq(fx.inv(part)["paid_partial"], "1", "PART paid_partial")
            chain.mine(2)
            sl.wait_until("late settled",
                          lambda: fx.inv(late)["status"] == "settled")

            # Closed invoice, wrong asset, unmatched, unwatched.
            check.eq(fx.inv(cancel)["status"], "cancelled",
                     "cancelled invoice stays cancelled")
            check.eq(db.scalar("SELECT match_status FROM transactions WHERE "
                               "to_address = '%s'" % cancel_addr),
                     "INVOICE_CLOSED", "payment to cancelled invoice flagged")
            check.eq(fx.inv(wrong)["status"], "new",
                     "wrong asset does not pay the invoice")
            check.eq(db.scalar("SELECT match_status FROM transactions WHERE "
                               "to_address = '%s'" % wrong_addr),
                     "WRONG_ASSET", "wrong asset flagged")
            check.eq(db.scalar("SELECT COUNT(*) FROM transactions WHERE "
                               "to_address = 'sc-not-ours'"), "0",
                     "transfers to unwatched addresses are not recorded")
            un = sl.ctl(d, "payments", "unmatched")
            mine = [p for p in un if p["to_address"] == free_addr]
            check.eq(len(mine), 1, "unmatched payment listed")
            check(mine and mine[0]["invoice_id"] is None,
                  "unmatched payment has no invoice")
            check(mine and mine[0]["amount"] == "7.000000000000000000",
                  "unmatched amount listed")
            kinds = sorted(p["match_status"] for p in un)
            check.eq(kinds, ["INVOICE_CLOSED", "UNMATCHED", "WRONG_ASSET"],
                     "flagged payments listed")
            r = sl.ctl(d, "payments", "resolve", mine[0]["id"],
                       "refunded to the customer")
            check.eq(r.get("match_status"), "RESOLVED", "resolve answers")
            check.eq(len([p for p in sl.ctl(d, "payments", "unmatched")
                          if p["to_address"] == free_addr]), 0,
                     "resolved payment no longer listed")
            check.eq(db.scalar("SELECT COUNT(*) FROM audit_logs WHERE "
                               "action = 'RESOLVE' AND entity_id = '%s'" %
                               mine[0]["id"]), "1", "resolution audited")
            bad = d.cgctl("payments", "resolve", mine[0]["id"], "again",
                          check=False, json_out=False)
            check(bad.returncode != 0, "resolving twice is refused")

            # Mempool first, then mined: one payment.
            xm = sl.transfer(mem_addr, ONE)
            chain.mempool = [xm]
            chain.mine(1)
            sl.wait_until("mempool payment seen",
                          lambda: fx.inv(mem)["status"] == "processing")
            check.eq(db.scalar("SELECT block_height IS NULL FROM transactions "
                               "WHERE tx_hash = '%s'" % xm["tx"]), "1",
                     "mempool payment has no block yet")
            chain.mempool = []
            chain.add_block([xm])
            chain.mine(1)
            sl.wait_until("mempool payment settled",
                          lambda: fx.inv(mem)["status"] == "settled")
            check.eq(db.scalar("SELECT COUNT(*) FROM transactions WHERE "
                               "tx_hash = '%s'" % xm["tx"]), "1",
                     "mined mempool payment is the same row")
            check.eq(fx.inv(mem)["received"], "1.000000000000000000",
                     "mempool then mined counted once")

            # A batch larger than the scanner's first buffer (64 transfers).
            many = [fx.address()[1] for _ in range(70)]
            chain.add_block([sl.transfer(a, ONE + i, tx="0xmany%d" % i)
                             for i, a in enumerate(many)])
            sl.wait_until("70 payments recorded", lambda: db.scalar(
                "SELECT COUNT(*) FROM transactions WHERE tx_hash LIKE "
                "'0xmany%'") == "70")
            rows = db.sql("SELECT tx_hash, to_address, amount_raw FROM "
                          "transactions WHERE tx_hash LIKE '0xmany%'")
            check(all(r[1] == many[int(r[0][6:])] and
                      r[2] == str(ONE + int(r[0][6:])) for r in rows),
                  "each of a large batch's payments recorded intact")

            # Events: once each, versions growing.
            ev = fx.events(a)
            check.eq(ev, ["invoice.payment_detected", "invoice.processing",
                          "invoice.settled"], "A events in order, once each")
            check.eq(fx.events(b).count("invoice.payment_detected"), 2,
                     "B: one payment_detected per payment")
            check("invoice.paid_late" in fx.events(late),
                  "late invoice has a paid_late event")
            check.eq(fx.events(exp), ["invoice.expired"], "EXP expired event")
            check.eq(fx.events(cancel), [], "no event for a cancelled invoice")
            vers = [int(v[0]) for v in db.sql(
                "SELECT invoice_version FROM webhook_deliveries WHERE "
                "invoice_id = '%s' ORDER BY invoice_version" % a)]
            # Events of one change share its version; later changes grow it.
            check(vers == sorted(vers) and vers[-1] > vers[0],
                  "A event versions grow: %r" % vers)
            payload = db.scalar("SELECT payload FROM webhook_deliveries WHERE "
                                "event_key = '%s:invoice.settled'" % a)
            import json
            p = json.loads(payload)
            check.eq(p["data"]["amount_received"], "1.500000000000000000",
                     "payload carries the API's invoice, amounts as decimal "
                     "strings with the currency's decimals")
            check.eq(p["type"], "invoice.settled", "payload type")
            check(p["id"].startswith("evt_"), "payload event id")
            check.eq(int(p["data"]["version"]), int(fx.inv(a)["version"]),
                     "payload carries the invoice version")

            # Balances: confirmed = sum of settled coin invoices.
            pending, confirmed = fx.balances(sl.W_COIN)
            check.eq(pending, "0.000000000000000000",
                     "nothing pending once all confirmed")
            # A 1.5 + B 2 + C 1.5 + tol 0.995 + late 1 + part 0.5 + mem 1
            check.eq(confirmed, "8.495000000000000000",
                     "confirmed balance = counted payments")
            check.eq(fx.balances(sl.W_TOKEN)[1], "2.500000000000000000",
                     "token wallet confirmed")
            sl.check_ledger(check, db)
            check.eq(db.scalar("SELECT COUNT(*) FROM (SELECT transaction_id "
                               "FROM balance_history WHERE move_kind = 'SEEN' "
                               "GROUP BY transaction_id HAVING COUNT(*) > 1) "
                               "x"), "0", "each payment seen once")

            # Observability.
            st = sl.ctl(d, "status")
            nets = st.get("networks") or []
            check(any(n["network"] == "scripted" and n["role"] == "active"
                      for n in nets), "status has the networks section")
            ss = sl.ctl(d, "scan", "status")
            check(any(s["network"] == "scripted" for s in ss),
                  "scan status lists the scanner")
            code, _, body = d.http("GET", "/metrics")
            check('cg_scanner_lag_blocks{network="scripted"}' in body,
                  "metrics have the lag per network")
            code, _, body = d.http("GET", "/readyz")
            check.eq(code, 200, "ready")
    finally:
        db.drop()
    check.done()


if __name__ == "__main__":
    main()
