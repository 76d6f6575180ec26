using System.Globalization;
using DaneMtaSts.Engine.Connectors;

namespace DaneMtaSts.Engine.Tests.Connectors;

/// <summary>
/// The entry point of this assembly (the test SDK's generated one is turned off in the project).
/// Under a test runner it is never called; <c>dotnet exec DaneMtaSts.Engine.Tests.dll store-crash-writer …</c>
/// runs the writer that <see cref="StoreCrashTests"/> kills with SIGKILL: a process that does nothing
/// but change the store, so that the kill lands inside the store's write path as often as possible.
/// </summary>
public static class StoreCrashWriter
{
    public const string Verb = "store-crash-writer";

    public static int Main(string[] args)
    {
        if (args.Length != 4 || args[0] != Verb)
        {
            Console.Error.WriteLine($"usage: {Verb} <store path> <connector name> <first value>");
            return 2;
        }

        var store = new ConnectorStore(args[1], TimeSpan.FromSeconds(30));
        var identity = ConnectorIdentity.FromName(args[2]);
        long value = long.Parse(args[3], CultureInfo.InvariantCulture);

        // Console.Out flushes every line, so the parent knows, for the moment of the kill, which value was
        // being written ("B") and which was acknowledged by the store ("D").
        while (true)
        {
            string text = value.ToString(CultureInfo.InvariantCulture);
            Console.Out.WriteLine("B " + text);
            store.UpdateConnector(identity, new ConnectorChanges { Comment = new(text) });
            Console.Out.WriteLine("D " + text);
            value++;
        }
    }
}
