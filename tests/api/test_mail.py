"""Mail goes out through SMTP (libcurl) when smtp.url is set: a password
reset request reaches a small local SMTP server, from the configured
sender to the user, with a working single-use token; the log never shows
the token."""

import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import cgtest  # noqa: E402

check = cgtest.Check()


class SmtpServer:
    """Just enough SMTP (RFC 5321) to accept messages: EHLO, MAIL, RCPT,
    DATA, QUIT; records envelopes and bodies."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.messages = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(c,),
                             daemon=True).start()

    def session(self, c):
        f = c.makefile("rb")
        send = lambda s: c.sendall((s + "\r\n").encode())  # noqa: E731
        send("220 test ESMTP")
        env = {"rcpt": []}
        try:
            while True:
                line = f.readline().decode(errors="replace").rstrip("\r\n")
                if not line:
                    break
                cmd = line[:4].upper()
                if cmd in ("EHLO", "HELO"):
                    send("250 test")
                elif cmd == "MAIL":
                    env["from"] = line
                    send("250 ok")
                elif cmd == "RCPT":
                    env["rcpt"].append(line)
                    send("250 ok")
                elif cmd == "DATA":
                    send("354 go")
                    data = []
                    while True:
                        ln = f.readline().decode(errors="replace")
                        if ln.rstrip("\r\n") == ".":
                            break
                        data.append(ln)
                    env["data"] = "".join(data)
                    self.messages.append(dict(env))
                    send("250 queued")
                elif cmd == "QUIT":
                    send("221 bye")
                    break
                else:
                    send("250 ok")
        finally:
            c.close()


def main():
    smtp = SmtpServer()
    db = cgtest.Database()
    cfg = apitest.fast_config({"smtp": {
        "url": "smtp://127.0.0.1:%d" % smtp.port,
        "from": "gateway@example.com"}})
    try:
        with cgtest.Daemon(db, extra=cfg, seed=True) as d:
            d.start()
            s, _, _ = d.http("POST", "/api/v1/auth/password-reset/request",
                             {"email": "test@merchant.com"})
            check.eq(s, 202, "reset requested")
            deadline = time.monotonic() + 10
            while not smtp.messages and time.monotonic() < deadline:
                time.sleep(0.1)
            check.eq(len(smtp.messages), 1, "one message over SMTP")
            if smtp.messages:
                m = smtp.messages[0]
                check("<gateway@example.com>" in m["from"],
                      "envelope sender: %r" % m["from"])
                check(m["rcpt"] and "<test@merchant.com>" in m["rcpt"][0],
                      "envelope recipient: %r" % m["rcpt"])
                check("Subject: Password reset" in m["data"], "subject")
                tok = re.findall(r"cgr_[a-z2-7]{12}_[0-9A-Za-z]{43}",
                                 m["data"])
                check(len(tok) == 1, "the token is in the message")
                s, _, _ = d.http("POST",
                                 "/api/v1/auth/password-reset/request",
                                 {"email": "test@merchant.com"})
                time.sleep(1)
                check.eq((s, len(smtp.messages)), (202, 1),
                         "a second request within a minute sends nothing")
                if tok:
                    check(tok[0] not in d.log(), "the log never shows it")
                    s, _, _ = d.http(
                        "POST", "/api/v1/auth/password-reset/confirm",
                        {"token": tok[0], "password": "another-pass"})
                    check.eq(s, 200, "the mailed token works")
            check.eq(d.stop(), 0, "daemon stops cleanly")
    finally:
        db.drop()
    check.done()


main()
