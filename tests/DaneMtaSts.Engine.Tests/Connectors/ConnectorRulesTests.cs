using DaneMtaSts.Engine.Connectors;

namespace DaneMtaSts.Engine.Tests.Connectors;

public class ConnectorRulesTests
{
    private static readonly DateTime Now = new(2026, 3, 10, 12, 0, 0, DateTimeKind.Utc);

    private static ConnectorChanges Partner(string name = "Contoso") => new()
    {
        Name = new(name),
        RecipientDomains = new(["contoso.com"]),
    };

    private static OutboundConnector Create(ConnectorChanges changes) => ConnectorRules.CreateNew(changes, Guid.NewGuid(), Now);

    private static void AssertRule(string errorId, ConnectorChanges changes)
    {
        var ex = Assert.Throws<EngineException>(() => Create(changes));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(EngineErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void New_connector_has_exchange_online_defaults()
    {
        var c = Create(Partner());
        Assert.True(c.Enabled);
        Assert.True(c.UseMXRecord);
        Assert.Equal(ConnectorType.Partner, c.ConnectorType);
        Assert.Equal(ConnectorSource.Default, c.ConnectorSource);
        Assert.Null(c.TlsSettings);
        Assert.Null(c.TlsDomain);
        Assert.False(c.IsTransportRuleScoped || c.RouteAllMessagesViaOnPremises || c.CloudServicesMailEnabled || c.AllAcceptedDomains || c.SenderRewritingEnabled || c.TestMode || c.IsValidated);
        Assert.Equal(SmtpDaneMode.Opportunistic, c.SmtpDaneMode);
        Assert.Equal(MtaStsMode.Opportunistic, c.MtaStsMode);
        Assert.Equal(TlsValidationMode.Opportunistic, c.TlsValidationMode);
        Assert.Equal(Guid.Empty, c.LinkForModifiedConnector);
        Assert.Empty(c.SmartHosts);
        Assert.Empty(c.ValidationRecipients);
        Assert.Null(c.LastValidationTimestamp);
        Assert.Equal(Now, c.WhenCreatedUTC);
        Assert.Equal(Now, c.WhenChangedUTC);
        Assert.Equal("Contoso", c.Identity);
        Assert.Equal("Contoso", c.ToString());
    }

    [Fact]
    public void Properties_are_declared_in_exchange_online_order_then_tls_validation_mode()
    {
        string[] expected =
        [
            "Enabled", "UseMXRecord", "Comment", "ConnectorType", "ConnectorSource", "RecipientDomains", "SmartHosts", "TlsDomain", "TlsSettings",
            "IsTransportRuleScoped", "RouteAllMessagesViaOnPremises", "CloudServicesMailEnabled", "AllAcceptedDomains", "SenderRewritingEnabled",
            "MtaStsMode", "SmtpDaneMode", "TestMode", "LinkForModifiedConnector", "ValidationRecipients", "IsValidated", "LastValidationTimestamp",
            "Name", "Identity", "Guid", "WhenCreatedUTC", "WhenChangedUTC", "TlsValidationMode",
        ];
        Assert.Equal(expected, typeof(OutboundConnector).GetProperties().Select(p => p.Name));
    }

    [Theory]
    [InlineData(SmtpDaneMode.None, MtaStsMode.None, TlsValidationMode.None)]
    [InlineData(SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic, TlsValidationMode.Opportunistic)]
    [InlineData(SmtpDaneMode.Mandatory, MtaStsMode.Opportunistic, TlsValidationMode.Mandatory)]
    [InlineData(SmtpDaneMode.Mandatory, MtaStsMode.None, TlsValidationMode.Custom)]
    [InlineData(SmtpDaneMode.None, MtaStsMode.Opportunistic, TlsValidationMode.Custom)]
    [InlineData(SmtpDaneMode.Opportunistic, MtaStsMode.None, TlsValidationMode.Custom)]
    public void Tls_validation_mode_is_derived_from_both_modes(SmtpDaneMode dane, MtaStsMode sts, TlsValidationMode expected)
    {
        var changes = Partner();
        changes.SmtpDaneMode = new(dane);
        changes.MtaStsMode = new(sts);
        Assert.Equal(expected, Create(changes).TlsValidationMode);
    }

    [Theory]
    [InlineData(TlsValidationMode.None, SmtpDaneMode.None, MtaStsMode.None)]
    [InlineData(TlsValidationMode.Opportunistic, SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic)]
    [InlineData(TlsValidationMode.Mandatory, SmtpDaneMode.Mandatory, MtaStsMode.Opportunistic)]
    public void Tls_validation_mode_sets_both_modes(TlsValidationMode mode, SmtpDaneMode dane, MtaStsMode sts)
    {
        var changes = Partner();
        changes.TlsValidationMode = new(mode);
        var c = Create(changes);
        Assert.Equal(dane, c.SmtpDaneMode);
        Assert.Equal(sts, c.MtaStsMode);
        Assert.Equal(mode, c.TlsValidationMode);
    }

    [Fact]
    public void Rule6_tls_validation_mode_with_smtp_dane_mode_is_a_conflict()
    {
        var changes = Partner();
        changes.TlsValidationMode = new(TlsValidationMode.Mandatory);
        changes.SmtpDaneMode = new(SmtpDaneMode.Mandatory);
        AssertRule("TlsValidationModeConflict", changes);
    }

    [Fact]
    public void Rule6_tls_validation_mode_with_mta_sts_mode_is_a_conflict()
    {
        var changes = Partner();
        changes.TlsValidationMode = new(TlsValidationMode.None);
        changes.MtaStsMode = new(MtaStsMode.None);
        AssertRule("TlsValidationModeConflict", changes);
    }

    [Fact]
    public void Rule6_tls_validation_mode_custom_cannot_be_set()
    {
        var changes = Partner();
        changes.TlsValidationMode = new(TlsValidationMode.Custom);
        AssertRule("TlsValidationModeCustomNotSettable", changes);
    }

    [Fact]
    public void Rule6_mta_sts_mode_has_no_mandatory_value()
    {
        Assert.DoesNotContain("Mandatory", Enum.GetNames<MtaStsMode>());
        var changes = Partner();
        changes.MtaStsMode = new((MtaStsMode)7);
        AssertRule("InvalidMtaStsMode", changes);
    }

    [Fact]
    public void Rule1_transport_rule_scoped_connector_cannot_have_recipient_domains()
    {
        var changes = Partner();
        changes.IsTransportRuleScoped = new(true);
        AssertRule("TransportRuleScopedWithRecipientDomains", changes);
    }

    [Fact]
    public void Rule1_transport_rule_scoped_connector_cannot_have_all_accepted_domains()
    {
        var changes = new ConnectorChanges { Name = new("Hybrid"), IsTransportRuleScoped = new(true), AllAcceptedDomains = new(true), ConnectorType = new(ConnectorType.OnPremises) };
        AssertRule("TransportRuleScopedWithRecipientDomains", changes);
    }

    [Fact]
    public void Rule1_other_connectors_need_recipient_domains()
    {
        AssertRule("RecipientDomainsRequired", new ConnectorChanges { Name = new("Empty") });
    }

    [Fact]
    public void Rule1_scoped_connector_without_domains_and_on_premises_all_accepted_domains_are_valid()
    {
        Assert.True(Create(new ConnectorChanges { Name = new("Scoped"), IsTransportRuleScoped = new(true) }).IsTransportRuleScoped);
        Assert.True(Create(new ConnectorChanges { Name = new("Hybrid"), ConnectorType = new(ConnectorType.OnPremises), AllAcceptedDomains = new(true) }).AllAcceptedDomains);
    }

    [Fact]
    public void Rule2_tls_domain_needs_domain_validation()
    {
        var changes = Partner();
        changes.TlsDomain = new("mail.contoso.com");
        changes.TlsSettings = new(TlsAuthLevel.CertificateValidation);
        AssertRule("TlsDomainRequiresDomainValidation", changes);
    }

    [Fact]
    public void Rule2_domain_validation_needs_tls_domain()
    {
        var changes = Partner();
        changes.TlsSettings = new(TlsAuthLevel.DomainValidation);
        AssertRule("DomainValidationRequiresTlsDomain", changes);
    }

    [Fact]
    public void Rule2_domain_validation_with_wildcard_tls_domain_is_valid()
    {
        var changes = Partner();
        changes.TlsSettings = new(TlsAuthLevel.DomainValidation);
        changes.TlsDomain = new("*.Contoso.com.");
        Assert.Equal("*.contoso.com", Create(changes).TlsDomain);
    }

    [Fact]
    public void Rule3_smart_hosts_with_mx_records_are_an_error()
    {
        var changes = Partner();
        changes.SmartHosts = new(["smtp.contoso.com"]);
        AssertRule("SmartHostsWithMXRecord", changes);
    }

    [Fact]
    public void Rule3_no_mx_records_needs_smart_hosts()
    {
        var changes = Partner();
        changes.UseMXRecord = new(false);
        AssertRule("SmartHostsRequired", changes);
    }

    [Theory]
    [InlineData("AllAcceptedDomains")]
    [InlineData("RouteAllMessagesViaOnPremises")]
    [InlineData("CloudServicesMailEnabled")]
    [InlineData("SenderRewritingEnabled")]
    public void Rule4_hybrid_settings_need_an_on_premises_connector(string property)
    {
        var changes = Partner();
        switch (property)
        {
            case "AllAcceptedDomains": changes.AllAcceptedDomains = new(true); break;
            case "RouteAllMessagesViaOnPremises": changes.RouteAllMessagesViaOnPremises = new(true); break;
            case "CloudServicesMailEnabled": changes.CloudServicesMailEnabled = new(true); break;
            default: changes.SenderRewritingEnabled = new(true); break;
        }

        var ex = Assert.Throws<EngineException>(() => Create(changes));
        Assert.Equal("OnPremisesConnectorRequired", ex.ErrorId);
        Assert.Contains(property, ex.Message, StringComparison.Ordinal);

        changes.ConnectorType = new(ConnectorType.OnPremises);
        Assert.Equal(ConnectorType.OnPremises, Create(changes).ConnectorType);
    }

    [Theory]
    [InlineData("Contoso.COM", "contoso.com")]
    [InlineData("contoso.com.", "contoso.com")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("*.Fabrikam.com", "*.fabrikam.com")]
    [InlineData("*", "*")]
    public void Rule5_recipient_domains_are_normalised(string input, string expected)
    {
        var changes = Partner();
        changes.RecipientDomains = new([input]);
        Assert.Equal([expected], Create(changes).RecipientDomains);
    }

    [Theory]
    [InlineData("mail.*.contoso.com")]
    [InlineData("*contoso.com")]
    [InlineData("contoso.*")]
    [InlineData("**.contoso.com")]
    [InlineData("con toso.com")]
    [InlineData("contoso..com")]
    [InlineData("")]
    public void Rule5_invalid_recipient_domains_are_rejected(string input)
    {
        var changes = Partner();
        changes.RecipientDomains = new([input]);
        AssertRule("InvalidRecipientDomain", changes);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("mail.*.contoso.com")]
    [InlineData("bad_domain!.com")]
    public void Rule5_invalid_tls_domains_are_rejected(string input)
    {
        var changes = Partner();
        changes.TlsSettings = new(TlsAuthLevel.DomainValidation);
        changes.TlsDomain = new(input);
        AssertRule("InvalidTlsDomain", changes);
    }

    [Theory]
    [InlineData("SMTP.Contoso.com.", "smtp.contoso.com")]
    [InlineData("192.0.2.25", "192.0.2.25")]
    [InlineData("2001:DB8::25", "2001:db8::25")]
    [InlineData("[2001:db8::25]", "2001:db8::25")]
    [InlineData("192.0.2.77/24", "192.0.2.0/24")]
    [InlineData("2001:db8:1::/48", "2001:db8:1::/48")]
    [InlineData("relay.bücher.example", "relay.xn--bcher-kva.example")]
    public void Smart_hosts_are_fqdn_ip_or_cidr_in_canonical_form(string input, string expected)
    {
        Assert.Equal(expected, ConnectorRules.NormalizeSmartHost(input));
    }

    [Theory]
    [InlineData("smtp")]
    [InlineData("smtp.contoso.com:25")]
    [InlineData("192.0.2.1/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("192.0.2")]
    [InlineData("*.contoso.com")]
    [InlineData("fe80::1%eth0")]
    [InlineData("10.0.0.0/x")]
    public void Invalid_smart_hosts_are_rejected(string input)
    {
        var ex = Assert.Throws<EngineException>(() => ConnectorRules.NormalizeSmartHost(input));
        Assert.Equal("InvalidSmartHost", ex.ErrorId);
    }

    [Fact]
    public void Smart_hosts_route_when_mx_is_off_and_duplicates_collapse()
    {
        var changes = Partner();
        changes.UseMXRecord = new(false);
        changes.SmartHosts = new(["Relay.Contoso.com", "relay.contoso.com.", "192.0.2.1"]);
        Assert.Equal(["relay.contoso.com", "192.0.2.1"], Create(changes).SmartHosts);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" Contoso")]
    [InlineData("Con\ttoso")]
    public void Invalid_names_are_rejected(string name)
    {
        AssertRule("InvalidConnectorName", Partner(name));
    }

    [Fact]
    public void Name_longer_than_64_characters_is_rejected_and_64_is_accepted()
    {
        AssertRule("InvalidConnectorName", Partner(new string('a', 65)));
        Assert.Equal(64, Create(Partner(new string('a', 64))).Name.Length);
    }

    [Fact]
    public void Comment_longer_than_1024_characters_is_rejected()
    {
        var changes = Partner();
        changes.Comment = new(new string('c', 1025));
        AssertRule("CommentTooLong", changes);
    }

    [Fact]
    public void Validation_recipients_are_addresses_with_a_label_domains()
    {
        var c = Create(Partner());
        var changes = new ConnectorChanges { ValidationRecipients = new(["postmaster@Bücher.example"]) };
        Assert.Equal(["postmaster@xn--bcher-kva.example"], ConnectorRules.Apply(c, changes, Now).ValidationRecipients);
        var ex = Assert.Throws<EngineException>(() => ConnectorRules.Apply(c, new ConnectorChanges { ValidationRecipients = new(["not an address"]) }, Now));
        Assert.Equal("InvalidValidationRecipient", ex.ErrorId);
    }

    [Fact]
    public void Apply_changes_only_what_is_given_and_stamps_when_changed()
    {
        var original = Create(Partner());
        var later = Now.AddHours(1);
        var changed = ConnectorRules.Apply(original, new ConnectorChanges { Enabled = new(false) }, later);
        Assert.False(changed.Enabled);
        Assert.Equal(original with { Enabled = false, WhenChangedUTC = later }, changed);
        Assert.Equal(Now, changed.WhenCreatedUTC);
    }

    [Fact]
    public void Apply_validates_the_whole_connector_after_the_change()
    {
        // Each change alone is fine; together with the stored UseMXRecord $true they break docs/exchange-online.md#rule-3.
        var original = Create(Partner());
        var ex = Assert.Throws<EngineException>(() => ConnectorRules.Apply(original, new ConnectorChanges { SmartHosts = new(["relay.contoso.com"]) }, Now));
        Assert.Equal("SmartHostsWithMXRecord", ex.ErrorId);
    }

    [Fact]
    public void Null_clears_a_property()
    {
        var changes = Partner();
        changes.Comment = new("partner");
        var c = Create(changes);
        Assert.Null(ConnectorRules.Apply(c, new ConnectorChanges { Comment = new(null) }, Now).Comment);
    }

    [Fact]
    public void Link_for_modified_connector_can_only_be_set_on_creation()
    {
        var link = Guid.NewGuid();
        var changes = Partner();
        changes.LinkForModifiedConnector = new(link);
        var c = Create(changes);
        Assert.Equal(link, c.LinkForModifiedConnector);
        var ex = Assert.Throws<EngineException>(() => ConnectorRules.Apply(c, new ConnectorChanges { LinkForModifiedConnector = new(Guid.NewGuid()) }, Now));
        Assert.Equal("LinkForModifiedConnectorNotSettable", ex.ErrorId);
    }

    [Fact]
    public void Last_validation_timestamp_is_kept_in_utc()
    {
        var c = Create(Partner());
        var utc = new DateTime(2026, 3, 1, 8, 0, 0, DateTimeKind.Utc);
        var stored = ConnectorRules.Apply(c, new ConnectorChanges { LastValidationTimestamp = new(utc.ToLocalTime()) }, Now).LastValidationTimestamp;
        Assert.Equal(utc, stored);
        Assert.Equal(DateTimeKind.Utc, stored!.Value.Kind);
    }

    [Fact]
    public void Identity_matches_name_case_insensitively_or_guid()
    {
        var a = Create(Partner("Contoso Partner"));
        var b = Create(Partner("Fabrikam"));
        OutboundConnector[] all = [a, b];
        Assert.Same(a, ConnectorIdentity.FromName("CONTOSO partner").FindIn(all));
        Assert.Same(b, ConnectorIdentity.FromGuid(b.Guid).FindIn(all));
        Assert.Same(b, ConnectorIdentity.FromName(b.Guid.ToString()).FindIn(all));
        Assert.Null(ConnectorIdentity.FromName("Nobody").FindIn(all));
        Assert.Equal("InvalidConnectorIdentity", Assert.Throws<EngineException>(() => ConnectorIdentity.FromName(" ")).ErrorId);
    }
}
