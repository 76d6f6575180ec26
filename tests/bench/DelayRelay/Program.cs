using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

// A relay that adds a fixed one-way delay to everything it forwards, in both directions, so that a
// loopback lab behaves like a network with a round-trip time of twice that delay (the kernels here
// have no netem). Usage:
//   DelayRelay <one-way delay ms> <file of "udp|tcp <listen ip:port> <target ip:port>" lines>
// It prints "ready" once every listener is bound and runs until stdin closes or it is killed.
//
// TCP: the client's connect completes locally, so the relay holds the connection to the target back
// for three one-way delays (SYN, SYN-ACK, ACK of a real handshake): the server's first bytes (an SMTP
// banner) then reach the client two round trips after it connected, as on a real network. Every
// segment is released to the other side one delay after it arrived, in order.
// UDP: each datagram is forwarded one delay after it arrived, each answer one delay after that.
internal static class Program
{
    private static TimeSpan _delay;

    private static async Task<int> Main(string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out int delayMs))
        {
            await Console.Error.WriteLineAsync("usage: DelayRelay <one-way delay ms> <relay list file>");
            return 2;
        }

        _delay = TimeSpan.FromMilliseconds(delayMs);
        var running = new List<Task>();
        foreach (string line in await File.ReadAllLinesAsync(args[1]))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3)
            {
                continue;
            }

            IPEndPoint listen = IPEndPoint.Parse(parts[1]);
            IPEndPoint target = IPEndPoint.Parse(parts[2]);
            running.Add(parts[0] == "udp" ? RunUdpAsync(listen, target) : RunTcpAsync(listen, target));
        }

        Console.WriteLine("ready");
        Task stdinClosed = Task.Run(() => Console.In.ReadToEnd());
        await Task.WhenAny(stdinClosed, Task.WhenAny(running));
        foreach (Task t in running.Where(t => t.IsFaulted))
        {
            await Console.Error.WriteLineAsync(t.Exception!.GetBaseException().Message);
            return 1;
        }

        return 0;
    }

    private static async Task RunTcpAsync(IPEndPoint listen, IPEndPoint target)
    {
        using var listener = new TcpListener(listen);
        listener.Start(512);
        while (true)
        {
            TcpClient client = await listener.AcceptTcpClientAsync();
            _ = Task.Run(() => RelayConnectionAsync(client, target));
        }
    }

    private static async Task RelayConnectionAsync(TcpClient client, IPEndPoint target)
    {
        using (client)
        using (var server = new TcpClient())
        {
            client.NoDelay = true;
            server.NoDelay = true;
            try
            {
                await Task.Delay(_delay * 3);
                await server.ConnectAsync(target.Address, target.Port);
                NetworkStream a = client.GetStream();
                NetworkStream b = server.GetStream();
                await Task.WhenAll(PumpAsync(a, b, server.Client), PumpAsync(b, a, client.Client));
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                // A side went away: the other is closed when the using blocks end.
            }
        }
    }

    // Reads as fast as data comes and releases each chunk one delay after it arrived, in order.
    private static async Task PumpAsync(NetworkStream from, NetworkStream to, Socket toSocket)
    {
        var queue = new BlockingCollection<(long Due, byte[]? Data)>();
        Task writer = Task.Run(async () =>
        {
            foreach ((long due, byte[]? data) in queue.GetConsumingEnumerable())
            {
                TimeSpan wait = TimeSpan.FromTicks(due - DateTime.UtcNow.Ticks);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                if (data is null)
                {
                    toSocket.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.WriteAsync(data);
            }
        });
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                int n = await from.ReadAsync(buffer);
                long due = (DateTime.UtcNow + _delay).Ticks;
                queue.Add((due, n == 0 ? null : buffer[..n]));
                if (n == 0)
                {
                    break;
                }
            }
        }
        finally
        {
            queue.CompleteAdding();
        }

        await writer;
    }

    private static async Task RunUdpAsync(IPEndPoint listen, IPEndPoint target)
    {
        using var front = new UdpClient(listen);
        var backs = new ConcurrentDictionary<IPEndPoint, UdpClient>();
        while (true)
        {
            UdpReceiveResult request = await front.ReceiveAsync();
            IPEndPoint clientEndPoint = request.RemoteEndPoint;
            UdpClient back = backs.GetOrAdd(clientEndPoint, c =>
            {
                // One upstream socket per client socket, so answers find their way back.
                var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
                _ = Task.Run(async () =>
                {
                    while (true)
                    {
                        UdpReceiveResult answer = await socket.ReceiveAsync();
                        _ = Task.Run(async () =>
                        {
                            await Task.Delay(_delay);
                            await front.SendAsync(answer.Buffer, c);
                        });
                    }
                });
                return socket;
            });
            byte[] datagram = request.Buffer;
            _ = Task.Run(async () =>
            {
                await Task.Delay(_delay);
                await back.SendAsync(datagram, target);
            });
        }
    }
}
