using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace DaneMtaSts.Engine.Tests.Architecture;

/// <summary>
/// The dependencies between the engine's folders, read from the compiled engine assembly's
/// metadata: base types, interfaces, generic constraints, field, property, event and method
/// signatures, custom attributes, and every type, method and field the IL of each method body names
/// (its tokens and its local variables). A type belongs to the folder of its namespace; a nested
/// type (a closure, an iterator or async state machine, any compiler-generated helper) belongs to
/// the folder of its outermost declaring type. Types outside the mapped namespaces (the compiler's
/// &lt;PrivateImplementationDetails&gt;, the regex source generator's classes) are ignored, and
/// so are references to other assemblies.
/// </summary>
internal sealed class FolderDependencyGraph
{
    private readonly MetadataReader _md;
    private readonly IReadOnlyDictionary<string, string> _folderOfNamespace;
    private readonly Dictionary<(string From, string To), string> _examples = [];
    private readonly SignatureProvider _provider;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private FolderDependencyGraph(MetadataReader md, IReadOnlyDictionary<string, string> folderOfNamespace)
    {
        _md = md;
        _folderOfNamespace = folderOfNamespace;
        _provider = new SignatureProvider(this);
    }

    /// <summary>Every edge (from folder, to folder) with one example of a reference that makes it.</summary>
    public IReadOnlyDictionary<(string From, string To), string> Edges => _examples;

    /// <summary>How many engine types were read (the test asserts it read something).</summary>
    public int TypesRead { get; private set; }

    /// <summary>How many IL method bodies were read.</summary>
    public int BodiesRead { get; private set; }

    public static FolderDependencyGraph Read(string assemblyPath, IReadOnlyDictionary<string, string> folderOfNamespace)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var graph = new FolderDependencyGraph(pe.GetMetadataReader(), folderOfNamespace);
        graph.ReadAll(pe);
        return graph;
    }

    private void ReadAll(PEReader pe)
    {
        foreach (TypeDefinitionHandle handle in _md.TypeDefinitions)
        {
            string? from = FolderOf(handle);
            if (from is null)
            {
                continue;
            }

            TypesRead++;
            TypeDefinition type = _md.GetTypeDefinition(handle);
            string where = FullName(handle);
            Add(from, type.BaseType, $"{where}: base type");
            foreach (InterfaceImplementationHandle i in type.GetInterfaceImplementations())
            {
                Add(from, _md.GetInterfaceImplementation(i).Interface, $"{where}: interface");
            }

            AddGenericParameters(from, type.GetGenericParameters(), where);
            AddAttributes(from, type.GetCustomAttributes(), where);

            foreach (FieldDefinitionHandle f in type.GetFields())
            {
                FieldDefinition field = _md.GetFieldDefinition(f);
                string what = $"{where}.{_md.GetString(field.Name)}";
                AddAll(from, field.DecodeSignature(_provider, null), what);
                AddAttributes(from, field.GetCustomAttributes(), what);
            }

            foreach (PropertyDefinitionHandle p in type.GetProperties())
            {
                PropertyDefinition property = _md.GetPropertyDefinition(p);
                string what = $"{where}.{_md.GetString(property.Name)}";
                MethodSignature<IEnumerable<string>> sig = property.DecodeSignature(_provider, null);
                AddAll(from, sig.ReturnType, what);
                AddAll(from, sig.ParameterTypes.SelectMany(t => t), what);
                AddAttributes(from, property.GetCustomAttributes(), what);
            }

            foreach (EventDefinitionHandle e in type.GetEvents())
            {
                EventDefinition ev = _md.GetEventDefinition(e);
                Add(from, ev.Type, $"{where}.{_md.GetString(ev.Name)}");
            }

            foreach (MethodDefinitionHandle m in type.GetMethods())
            {
                MethodDefinition method = _md.GetMethodDefinition(m);
                string what = $"{where}.{_md.GetString(method.Name)}";
                MethodSignature<IEnumerable<string>> sig = method.DecodeSignature(_provider, null);
                AddAll(from, sig.ReturnType, what);
                AddAll(from, sig.ParameterTypes.SelectMany(t => t), what);
                AddGenericParameters(from, method.GetGenericParameters(), what);
                AddAttributes(from, method.GetCustomAttributes(), what);
                foreach (ParameterHandle ph in method.GetParameters())
                {
                    AddAttributes(from, _md.GetParameter(ph).GetCustomAttributes(), what);
                }

                if (method.RelativeVirtualAddress != 0)
                {
                    ReadBody(from, pe.GetMethodBody(method.RelativeVirtualAddress), what);
                }
            }
        }
    }

    private void ReadBody(string from, MethodBodyBlock body, string where)
    {
        BodiesRead++;
        if (!body.LocalSignature.IsNil)
        {
            StandaloneSignature locals = _md.GetStandaloneSignature(body.LocalSignature);
            AddAll(from, locals.DecodeLocalSignature(_provider, null).SelectMany(t => t), $"{where}: a local");
        }

        BlobReader il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il.ReadByte()));
            }

            OpCode op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                case OperandType.InlineSig:
                    AddToken(from, MetadataTokens.EntityHandle(il.ReadInt32()), $"{where}: {op.Name}");
                    break;
                case OperandType.InlineSwitch:
                    int n = il.ReadInt32();
                    il.Offset += 4 * n;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineBrTarget:
                case OperandType.InlineI:
                case OperandType.InlineString:
                case OperandType.ShortInlineR:
                    il.Offset += 4;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case OperandType.InlineNone:
                    break;
                default:
                    throw new InvalidOperationException($"{where}: IL operand type {op.OperandType} of {op.Name} is not handled");
            }
        }
    }

    // A token in IL: the type it names, the type that declares the member it names, and the types
    // of the member's signature and generic instantiation.
    private void AddToken(string from, EntityHandle handle, string where)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
            case HandleKind.TypeReference:
            case HandleKind.TypeSpecification:
                Add(from, handle, where);
                break;
            case HandleKind.FieldDefinition:
                FieldDefinition field = _md.GetFieldDefinition((FieldDefinitionHandle)handle);
                Add(from, field.GetDeclaringType(), where);
                AddAll(from, field.DecodeSignature(_provider, null), where);
                break;
            case HandleKind.MethodDefinition:
                MethodDefinition method = _md.GetMethodDefinition((MethodDefinitionHandle)handle);
                Add(from, method.GetDeclaringType(), where);
                MethodSignature<IEnumerable<string>> sig = method.DecodeSignature(_provider, null);
                AddAll(from, sig.ReturnType.Concat(sig.ParameterTypes.SelectMany(t => t)), where);
                break;
            case HandleKind.MemberReference:
                MemberReference member = _md.GetMemberReference((MemberReferenceHandle)handle);
                if (member.Parent.Kind is HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification)
                {
                    Add(from, member.Parent, where);
                }
                else if (member.Parent.Kind == HandleKind.MethodDefinition)
                {
                    AddToken(from, member.Parent, where);
                }

                if (member.GetKind() == MemberReferenceKind.Method)
                {
                    MethodSignature<IEnumerable<string>> msig = member.DecodeMethodSignature(_provider, null);
                    AddAll(from, msig.ReturnType.Concat(msig.ParameterTypes.SelectMany(t => t)), where);
                }
                else
                {
                    AddAll(from, member.DecodeFieldSignature(_provider, null), where);
                }

                break;
            case HandleKind.MethodSpecification:
                MethodSpecification spec = _md.GetMethodSpecification((MethodSpecificationHandle)handle);
                AddToken(from, spec.Method, where);
                AddAll(from, spec.DecodeSignature(_provider, null).SelectMany(t => t), where);
                break;
            case HandleKind.StandaloneSignature:
                StandaloneSignature standalone = _md.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                if (standalone.GetKind() == StandaloneSignatureKind.Method)
                {
                    MethodSignature<IEnumerable<string>> ssig = standalone.DecodeMethodSignature(_provider, null);
                    AddAll(from, ssig.ReturnType.Concat(ssig.ParameterTypes.SelectMany(t => t)), where);
                }

                break;
        }
    }

    private void AddGenericParameters(string from, GenericParameterHandleCollection parameters, string where)
    {
        foreach (GenericParameterHandle gp in parameters)
        {
            foreach (GenericParameterConstraintHandle c in _md.GetGenericParameter(gp).GetConstraints())
            {
                Add(from, _md.GetGenericParameterConstraint(c).Type, $"{where}: generic constraint");
            }
        }
    }

    private void AddAttributes(string from, CustomAttributeHandleCollection attributes, string where)
    {
        foreach (CustomAttributeHandle a in attributes)
        {
            AddToken(from, _md.GetCustomAttribute(a).Constructor, $"{where}: attribute");
        }
    }

    private void Add(string from, EntityHandle handle, string where)
    {
        if (handle.IsNil)
        {
            return;
        }

        IEnumerable<string> folders = handle.Kind switch
        {
            HandleKind.TypeDefinition => FolderOf((TypeDefinitionHandle)handle) is { } f ? [f] : [],
            HandleKind.TypeSpecification => _md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(_provider, null),
            _ => [],
        };
        AddAll(from, folders, where);
    }

    private void AddAll(string from, IEnumerable<string> folders, string where)
    {
        foreach (string to in folders)
        {
            if (to != from)
            {
                _examples.TryAdd((from, to), where);
            }
        }
    }

    /// <summary>The folder of a type: of its outermost declaring type's namespace; null outside the map.</summary>
    private string? FolderOf(TypeDefinitionHandle handle)
    {
        TypeDefinition type = _md.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            type = _md.GetTypeDefinition(type.GetDeclaringType());
        }

        return _folderOfNamespace.GetValueOrDefault(_md.GetString(type.Namespace));
    }

    private string FullName(TypeDefinitionHandle handle)
    {
        TypeDefinition type = _md.GetTypeDefinition(handle);
        string name = _md.GetString(type.Name);
        return type.IsNested ? $"{FullName(type.GetDeclaringType())}+{name}" : $"{_md.GetString(type.Namespace)}.{name}";
    }

    /// <summary>Decodes a signature into the engine folders of the types it names.</summary>
    private sealed class SignatureProvider(FolderDependencyGraph graph) : ISignatureTypeProvider<IEnumerable<string>, object?>
    {
        private static readonly IEnumerable<string> Nothing = [];

        public IEnumerable<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            graph.FolderOf(handle) is { } f ? [f] : Nothing;

        public IEnumerable<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => Nothing;

        public IEnumerable<string> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public IEnumerable<string> GetGenericInstantiation(IEnumerable<string> genericType, ImmutableArray<IEnumerable<string>> typeArguments) =>
            genericType.Concat(typeArguments.SelectMany(t => t)).ToList();

        public IEnumerable<string> GetArrayType(IEnumerable<string> elementType, ArrayShape shape) => elementType;

        public IEnumerable<string> GetSZArrayType(IEnumerable<string> elementType) => elementType;

        public IEnumerable<string> GetByReferenceType(IEnumerable<string> elementType) => elementType;

        public IEnumerable<string> GetPointerType(IEnumerable<string> elementType) => elementType;

        public IEnumerable<string> GetPinnedType(IEnumerable<string> elementType) => elementType;

        public IEnumerable<string> GetModifiedType(IEnumerable<string> modifier, IEnumerable<string> unmodifiedType, bool isRequired) => unmodifiedType;

        public IEnumerable<string> GetFunctionPointerType(MethodSignature<IEnumerable<string>> signature) =>
            signature.ReturnType.Concat(signature.ParameterTypes.SelectMany(t => t)).ToList();

        public IEnumerable<string> GetGenericMethodParameter(object? genericContext, int index) => Nothing;

        public IEnumerable<string> GetGenericTypeParameter(object? genericContext, int index) => Nothing;

        public IEnumerable<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => Nothing;
    }
}
