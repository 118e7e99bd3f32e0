"""The reference agent's protocol, over its Unix-socket stand-in (AF_VSOCK is the same stream, one hop away).

Run: python3 -m unittest Guest/agent/test_agent.py (snapbench's test suite runs it).
"""
import os, socket, subprocess, sys, tempfile, time, unittest

AGENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "agent.py")


class AgentProtocol(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="sb-agent-")
        self.path = os.path.join(self.directory, "agent.sock")
        self.process = subprocess.Popen([sys.executable, AGENT, "--unix", self.path], stdout=subprocess.PIPE)
        # The agent says where it listens once it does: read that line, not a clock.
        line = self.process.stdout.readline().decode()
        self.assertIn("listening", line)

    def tearDown(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        os.unlink(self.path)
        os.rmdir(self.directory)

    def connect(self):
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(10)
        connection.connect(self.path)
        return connection, connection.makefile("rwb", buffering=0)

    def ask(self, stream, request):
        stream.write(request.encode() + b"\n")
        return stream.readline().decode().rstrip("\n")

    def test_ready_answers_one_line_each_time(self):
        connection, stream = self.connect()
        with connection, stream:
            first = self.ask(stream, "ready")
            second = self.ask(stream, "ready")
        self.assertRegex(first, r"^READY [0-9]+ 1$")
        self.assertRegex(second, r"^READY [0-9]+ 2$")

    def test_touch_reports_microseconds_and_no_wrong_page(self):
        connection, stream = self.connect()
        with connection, stream:
            reply = self.ask(stream, "touch 4")
        self.assertRegex(reply, r"^W[0-9]+/0$")

    def test_unknown_requests_are_errors_and_the_connection_stays(self):
        connection, stream = self.connect()
        with connection, stream:
            self.assertEqual(self.ask(stream, "reboot"), "E unknown request")
            self.assertEqual(self.ask(stream, "touch lots"), "E unknown request")
            self.assertTrue(self.ask(stream, "ready").startswith("READY"))

    def test_a_new_connection_after_the_old_one_closed(self):
        # As after a restore: the old connection is gone, the listener stays.
        first, stream = self.connect()
        with first, stream:
            self.assertTrue(self.ask(stream, "ready").startswith("READY"))
        second, stream = self.connect()
        with second, stream:
            self.assertTrue(self.ask(stream, "ready").startswith("READY"))

    def test_requests_split_across_writes_and_crlf(self):
        connection, stream = self.connect()
        with connection, stream:
            connection.sendall(b"rea")
            connection.sendall(b"dy\r\n")
            self.assertTrue(stream.readline().startswith(b"READY"))


if __name__ == "__main__":
    unittest.main()
