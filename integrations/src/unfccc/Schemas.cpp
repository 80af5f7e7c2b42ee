// The UNFCCC schemas, embedded as raw string constants and compiled once. The constants must stay
// byte for byte the files in integrations/unfccc/schemas/ (SchemasTest in UnfcccMessagesTest.cpp
// compares them): change a schema there, then paste it here between R"xsd( and )xsd".
#include "a6/integrations/unfccc/Schemas.h"

#include <array>
#include <cstring>
#include <utility>

#include "a6/core/Error.h"
#include "unfccc/LibXml.h"

namespace a6::integrations::unfccc {
namespace {

// clang-format off

// integrations/unfccc/schemas/authorisation-notification.xsd
constexpr const char kAuthorisationNotificationXsd[] = R"xsd(<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns="urn:a6auth:unfccc:authorisation-notification:1"
           xmlns:n="urn:a6auth:unfccc:authorisation-notification:1"
           targetNamespace="urn:a6auth:unfccc:authorisation-notification:1"
           elementFormDefault="qualified"
           attributeFormDefault="unqualified"
           version="1.0">

  <xs:annotation>
    <xs:documentation>
      a6auth authorisation notification, schema version 1.0.

      A host Party tells the UNFCCC side that it issued, amended or revoked an authorisation under
      Article 6.2 of the Paris Agreement. One message carries one version of one authorisation.

      No official XML schema or API of the UNFCCC's Centralized Accounting and Reporting Platform
      (CARP) is published. a6auth therefore defines these element names itself, after the technical
      field names of the Agreed Electronic Format (AEF) tables "Authorizations" and "Authorized
      entities" (AuthorizationID, DateOfAuthorization, CooperativeApproachID, ...). Nothing here is
      an official UNFCCC format.

      Versioning: the major version is part of the namespace (...:1); a change that could make a
      valid message invalid gets a new namespace. Additions that old readers may ignore raise the
      minor version, which every message states in its schemaVersion attribute.

      Rules that XML Schema 1.0 cannot express, checked by a6auth when it builds or reads a message:
      - NotificationKind "issued" has neither Amendment nor Revocation; "amended" has Amendment
        (PreviousVersion lower than VersionOfTheAuthorization) and no Revocation; "revoked" has
        Revocation and no Amendment.
      - Metric "GHG" requires GWPValues and forbids NonGHGMetric; "non-GHG" requires NonGHGMetric.
      - A purpose other than "NDC" (it includes OIMP, IMP or OP) requires OIMPAuthorizedByTheParty
        and FirstTransferDefinition; purpose "NDC" forbids OIMPAuthorizedByTheParty.
      - Each authorised entity names the authorisation's own CooperativeApproachID.
      - In every period, From is not after To.

      The message may end with one enveloped XML signature (ds:Signature, exclusive C14N,
      RSA-SHA256 or ECDSA-SHA256, Reference URI="") over the whole document.
    </xs:documentation>
  </xs:annotation>

  <!-- Simple types. Identifiers are xs:string based so that the patterns see the exact text. -->

  <xs:simpleType name="SchemaVersion">
    <xs:restriction base="xs:string">
      <xs:pattern value="1\.[0-9]+"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="MessageId">
    <xs:annotation>
      <xs:documentation>
        Letters, digits, underscore, full stop, colon, hyphen. Stable for the life of a message
        (retries keep it), so that the receiver drops duplicates by it.
      </xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="PartyCode">
    <xs:annotation>
      <xs:documentation>ISO 3166-1 alpha-3 code of a Party, e.g. GHA, CHE.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Z]{3}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Identifier">
    <xs:annotation>
      <xs:documentation>
        Set by the Party: letters, digits, space, hyphen, slash and full stop; no space at either end.
      </xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:maxLength value="100"/>
      <xs:pattern value="[A-Za-z0-9./\-]([A-Za-z0-9 ./\-]*[A-Za-z0-9./\-])?"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="CooperativeApproachId">
    <xs:annotation>
      <xs:documentation>Obtained from CARP: CA followed by four digits, e.g. CA0042.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="CA[0-9]{4}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Version">
    <xs:restriction base="xs:int">
      <xs:minInclusive value="1"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Date">
    <xs:annotation>
      <xs:documentation>A calendar date without time zone, YYYY-MM-DD.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:date">
      <xs:pattern value="[0-9]{4}-[0-9]{2}-[0-9]{2}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Timestamp">
    <xs:annotation>
      <xs:documentation>A date and time with an explicit offset, e.g. 2025-03-14T09:30:00Z.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:dateTime">
      <xs:pattern value=".+(Z|[+\-][0-9]{2}:[0-9]{2})"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Year">
    <xs:restriction base="xs:int">
      <xs:minInclusive value="1990"/>
      <xs:maxInclusive value="2200"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="ShortText">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="300"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="LongText">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="20000"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Sha256">
    <xs:annotation>
      <xs:documentation>SHA-256 in lower-case hexadecimal.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="[0-9a-f]{64}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="NotificationKind">
    <xs:restriction base="xs:string">
      <xs:enumeration value="issued"/>
      <xs:enumeration value="amended"/>
      <xs:enumeration value="revoked"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Metric">
    <xs:restriction base="xs:string">
      <xs:enumeration value="GHG"/>
      <xs:enumeration value="non-GHG"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Purposes">
    <xs:restriction base="xs:string">
      <xs:enumeration value="NDC"/>
      <xs:enumeration value="OIMP"/>
      <xs:enumeration value="IMP"/>
      <xs:enumeration value="OP"/>
      <xs:enumeration value="NDC and OIMP"/>
      <xs:enumeration value="NDC and IMP"/>
      <xs:enumeration value="NDC and OP"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="FirstTransferDefinition">
    <xs:restriction base="xs:string">
      <xs:enumeration value="Authorisation"/>
      <xs:enumeration value="Issuance"/>
      <xs:enumeration value="Use or Cancellation"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Tonnes">
    <xs:annotation>
      <xs:documentation>Tonnes of CO2 equivalent.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:long">
      <xs:minInclusive value="0"/>
    </xs:restriction>
  </xs:simpleType>

  <!-- Complex types -->

  <xs:complexType name="Quantity">
    <xs:simpleContent>
      <xs:extension base="Tonnes">
        <xs:attribute name="unit" type="xs:string" use="required" fixed="tCO2e"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>

  <xs:complexType name="NonGHGMetric">
    <xs:simpleContent>
      <xs:extension base="ShortText">
        <xs:attribute name="unit" type="ShortText" use="required"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>

  <xs:complexType name="Period">
    <xs:annotation>
      <xs:documentation>From and/or To; a missing end is open.</xs:documentation>
    </xs:annotation>
    <xs:choice>
      <xs:sequence>
        <xs:element name="From" type="Date"/>
        <xs:element name="To" type="Date" minOccurs="0"/>
      </xs:sequence>
      <xs:element name="To" type="Date"/>
    </xs:choice>
  </xs:complexType>

  <xs:complexType name="YearRange">
    <xs:sequence>
      <xs:element name="From" type="Year"/>
      <xs:element name="To" type="Year"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="AuthorizedTimeframe">
    <xs:annotation>
      <xs:documentation>
        When the mitigation occurs and/or when the outcomes may be used; at least one of the two.
      </xs:documentation>
    </xs:annotation>
    <xs:choice>
      <xs:sequence>
        <xs:element name="MitigationPeriod" type="Period"/>
        <xs:element name="UsePeriod" type="Period" minOccurs="0"/>
      </xs:sequence>
      <xs:element name="UsePeriod" type="Period"/>
    </xs:choice>
  </xs:complexType>

  <xs:complexType name="Sectors">
    <xs:sequence>
      <xs:element name="Sector" type="ShortText" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="ActivityTypes">
    <xs:sequence>
      <xs:element name="ActivityType" type="ShortText" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="AuthorizedParties">
    <xs:annotation>
      <xs:documentation>Absent: any Party may use the outcomes.</xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="Party" type="PartyCode" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="AuthorizedEntity">
    <xs:annotation>
      <xs:documentation>A row of the AEF "Authorized entities" table.</xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="AuthorizedEntityID" type="Identifier"/>
      <xs:element name="EntityName" type="ShortText"/>
      <xs:element name="CountryOfIncorporation" type="PartyCode"/>
      <xs:element name="IdentificationNumber" type="ShortText" minOccurs="0"/>
      <xs:element name="CooperativeApproachID" type="CooperativeApproachId"/>
      <xs:element name="DateOfAuthorization" type="Date"/>
      <xs:element name="Conditions" type="LongText" minOccurs="0"/>
      <xs:element name="ChangeAndRevocationConditions" type="LongText"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="AuthorizedEntities">
    <xs:sequence>
      <xs:element name="AuthorizedEntity" type="AuthorizedEntity" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Authorization">
    <xs:annotation>
      <xs:documentation>
        One version of a row of the AEF "Authorizations" table, with its authorised entities in full.
      </xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="AuthorizationID" type="Identifier"/>
      <xs:element name="DateOfAuthorization" type="Date"/>
      <xs:element name="CooperativeApproachID" type="CooperativeApproachId"/>
      <xs:element name="VersionOfTheAuthorization" type="Version"/>
      <xs:element name="AuthorizedQuantity" type="Quantity" minOccurs="0"/>
      <xs:element name="Metric" type="Metric"/>
      <xs:element name="GWPValues" type="ShortText" minOccurs="0"/>
      <xs:element name="NonGHGMetric" type="NonGHGMetric" minOccurs="0"/>
      <xs:element name="Sectors" type="Sectors"/>
      <xs:element name="ActivityTypes" type="ActivityTypes"/>
      <xs:element name="PurposesForAuthorization" type="Purposes"/>
      <xs:element name="AuthorizedParties" type="AuthorizedParties" minOccurs="0"/>
      <xs:element name="AuthorizedEntities" type="AuthorizedEntities" minOccurs="0">
        <xs:unique name="UniqueEntityID">
          <xs:selector xpath="n:AuthorizedEntity"/>
          <xs:field xpath="n:AuthorizedEntityID"/>
        </xs:unique>
      </xs:element>
      <xs:element name="OIMPAuthorizedByTheParty" type="ShortText" minOccurs="0"/>
      <xs:element name="AuthorizedTimeframe" type="AuthorizedTimeframe" minOccurs="0"/>
      <xs:element name="TermsAndConditions" type="LongText" minOccurs="0"/>
      <xs:element name="FirstTransferDefinition" type="FirstTransferDefinition" minOccurs="0"/>
      <xs:element name="AdditionalInformation" type="LongText" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="MitigationActivity">
    <xs:annotation>
      <xs:documentation>
        Not an AEF field: what the letter says of the activity (bilateral agreements ask for it).
      </xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="Title" type="ShortText"/>
      <xs:element name="DesignDocumentReference" type="ShortText" minOccurs="0"/>
      <xs:element name="Standard" type="ShortText" minOccurs="0"/>
      <xs:element name="Methodology" type="ShortText" minOccurs="0"/>
      <xs:element name="CreditingPeriod" type="Period" minOccurs="0"/>
      <xs:element name="Vintages" type="YearRange" minOccurs="0"/>
      <xs:element name="UnderlyingUnitRegistry" type="ShortText" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Amendment">
    <xs:sequence>
      <xs:element name="PreviousVersion" type="Version"/>
      <xs:element name="SummaryOfChanges" type="LongText" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Revocation">
    <xs:sequence>
      <xs:element name="RevocationReason" type="LongText"/>
      <xs:element name="RevocationEffectiveDate" type="Date"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="AuthorizationDocumentation">
    <xs:annotation>
      <xs:documentation>
        The signed letter (of authorisation, amendment or revocation) that this message reports.
      </xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="DocumentSHA256" type="Sha256"/>
      <xs:element name="DocumentAddress" type="xs:anyURI"/>
    </xs:sequence>
  </xs:complexType>

  <!-- The message -->

  <xs:element name="AuthorizationNotification">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="MessageID" type="MessageId"/>
        <xs:element name="SendingParty" type="PartyCode"/>
        <xs:element name="CreatedAt" type="Timestamp"/>
        <xs:element name="NotificationKind" type="NotificationKind"/>
        <xs:element name="Authorization" type="Authorization"/>
        <xs:element name="MitigationActivity" type="MitigationActivity" minOccurs="0"/>
        <xs:element name="Amendment" type="Amendment" minOccurs="0"/>
        <xs:element name="Revocation" type="Revocation" minOccurs="0"/>
        <xs:element name="AuthorizationDocumentation" type="AuthorizationDocumentation"/>
        <xs:any namespace="http://www.w3.org/2000/09/xmldsig#" processContents="skip" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="schemaVersion" type="SchemaVersion" use="required"/>
    </xs:complexType>
  </xs:element>

</xs:schema>
)xsd";

// integrations/unfccc/schemas/acknowledgement.xsd
constexpr const char kAcknowledgementXsd[] = R"xsd(<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns="urn:a6auth:unfccc:acknowledgement:1"
           targetNamespace="urn:a6auth:unfccc:acknowledgement:1"
           elementFormDefault="qualified"
           attributeFormDefault="unqualified"
           version="1.0">

  <xs:annotation>
    <xs:documentation>
      a6auth acknowledgement, schema version 1.0.

      The UNFCCC side's answer to one message from a Party (an authorisation notification or an
      annual submission): received (taken in, not yet checked), accepted, or rejected with coded
      messages, each optionally naming the field it concerns.

      No official XML schema or API of the UNFCCC's Centralized Accounting and Reporting Platform
      (CARP) is published. a6auth therefore defines these element names itself, in the spirit of
      the technical field names of the Agreed Electronic Format (AEF). Nothing here is an official
      UNFCCC format.

      Versioning: the major version is part of the namespace (...:1); a change that could make a
      valid message invalid gets a new namespace. Additions that old readers may ignore raise the
      minor version, which every message states in its schemaVersion attribute.

      Rule that XML Schema 1.0 cannot express, checked by a6auth when it builds or reads a message:
      a "rejected" acknowledgement carries at least one Message.

      The message may end with one enveloped XML signature (ds:Signature, exclusive C14N,
      RSA-SHA256 or ECDSA-SHA256, Reference URI="") over the whole document.
    </xs:documentation>
  </xs:annotation>

  <xs:simpleType name="SchemaVersion">
    <xs:restriction base="xs:string">
      <xs:pattern value="1\.[0-9]+"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="MessageId">
    <xs:annotation>
      <xs:documentation>
        Letters, digits, underscore, full stop, colon, hyphen. Stable for the life of a message
        (retries keep it), so that the receiver drops duplicates by it.
      </xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Timestamp">
    <xs:annotation>
      <xs:documentation>A date and time with an explicit offset, e.g. 2025-03-14T09:30:00Z.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:dateTime">
      <xs:pattern value=".+(Z|[+\-][0-9]{2}:[0-9]{2})"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="ShortText">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="300"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="LongText">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="20000"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Code">
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Status">
    <xs:restriction base="xs:string">
      <xs:enumeration value="received"/>
      <xs:enumeration value="accepted"/>
      <xs:enumeration value="rejected"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:complexType name="Message">
    <xs:sequence>
      <xs:element name="Code" type="Code"/>
      <xs:element name="Field" type="ShortText" minOccurs="0">
        <xs:annotation>
          <xs:documentation>
            The element the message is about, as a path of element names from the root of the
            acknowledged message, e.g. Authorization/CooperativeApproachID.
          </xs:documentation>
        </xs:annotation>
      </xs:element>
      <xs:element name="Text" type="LongText"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Messages">
    <xs:sequence>
      <xs:element name="Message" type="Message" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:element name="Acknowledgement">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="AcknowledgementID" type="MessageId"/>
        <xs:element name="RefersToMessageID" type="MessageId"/>
        <xs:element name="Sender" type="ShortText"/>
        <xs:element name="CreatedAt" type="Timestamp"/>
        <xs:element name="Status" type="Status"/>
        <xs:element name="Messages" type="Messages" minOccurs="0"/>
        <xs:any namespace="http://www.w3.org/2000/09/xmldsig#" processContents="skip" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="schemaVersion" type="SchemaVersion" use="required"/>
    </xs:complexType>
  </xs:element>

</xs:schema>
)xsd";

// integrations/unfccc/schemas/consistency-finding.xsd
constexpr const char kConsistencyFindingXsd[] = R"xsd(<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns="urn:a6auth:unfccc:consistency-finding:1"
           targetNamespace="urn:a6auth:unfccc:consistency-finding:1"
           elementFormDefault="qualified"
           attributeFormDefault="unqualified"
           version="1.0">

  <xs:annotation>
    <xs:documentation>
      a6auth consistency finding, schema version 1.0.

      The UNFCCC side runs consistency checks on what a Party reports and returns findings, either
      on a submission (named by the MessageID of the message that carried it) or on one action
      (named by AuthorizationID and VersionOfTheAuthorization). The Party answers a finding with a
      corrected submission; the UNFCCC side sends the same FindingID again with status "resolved"
      when it is settled.

      No official XML schema or API of the UNFCCC's Centralized Accounting and Reporting Platform
      (CARP) is published. a6auth therefore defines these element names itself, in the spirit of
      the technical field names of the Agreed Electronic Format (AEF). Nothing here is an official
      UNFCCC format.

      Versioning: the major version is part of the namespace (...:1); a change that could make a
      valid message invalid gets a new namespace. Additions that old readers may ignore raise the
      minor version, which every message states in its schemaVersion attribute.

      The message may end with one enveloped XML signature (ds:Signature, exclusive C14N,
      RSA-SHA256 or ECDSA-SHA256, Reference URI="") over the whole document.
    </xs:documentation>
  </xs:annotation>

  <xs:simpleType name="SchemaVersion">
    <xs:restriction base="xs:string">
      <xs:pattern value="1\.[0-9]+"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="MessageId">
    <xs:annotation>
      <xs:documentation>
        Letters, digits, underscore, full stop, colon, hyphen. Stable for the life of a message
        (retries keep it), so that the receiver drops duplicates by it.
      </xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="PartyCode">
    <xs:annotation>
      <xs:documentation>ISO 3166-1 alpha-3 code of a Party, e.g. GHA, CHE.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Z]{3}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Identifier">
    <xs:annotation>
      <xs:documentation>
        Set by the Party: letters, digits, space, hyphen, slash and full stop; no space at either end.
      </xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:maxLength value="100"/>
      <xs:pattern value="[A-Za-z0-9./\-]([A-Za-z0-9 ./\-]*[A-Za-z0-9./\-])?"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Version">
    <xs:restriction base="xs:int">
      <xs:minInclusive value="1"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Timestamp">
    <xs:annotation>
      <xs:documentation>A date and time with an explicit offset, e.g. 2025-03-14T09:30:00Z.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:dateTime">
      <xs:pattern value=".+(Z|[+\-][0-9]{2}:[0-9]{2})"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="ShortText">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="300"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="LongText">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="20000"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Code">
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Status">
    <xs:restriction base="xs:string">
      <xs:enumeration value="open"/>
      <xs:enumeration value="resolved"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Severity">
    <xs:restriction base="xs:string">
      <xs:enumeration value="info"/>
      <xs:enumeration value="warning"/>
      <xs:enumeration value="error"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:complexType name="SubmissionReference">
    <xs:sequence>
      <xs:element name="MessageID" type="MessageId"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="ActionReference">
    <xs:sequence>
      <xs:element name="AuthorizationID" type="Identifier"/>
      <xs:element name="VersionOfTheAuthorization" type="Version"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="RefersTo">
    <xs:choice>
      <xs:element name="Submission" type="SubmissionReference"/>
      <xs:element name="Action" type="ActionReference"/>
    </xs:choice>
  </xs:complexType>

  <xs:element name="ConsistencyFinding">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="MessageID" type="MessageId"/>
        <xs:element name="FindingID" type="MessageId">
          <xs:annotation>
            <xs:documentation>The finding; it keeps its id from "open" to "resolved".</xs:documentation>
          </xs:annotation>
        </xs:element>
        <xs:element name="Sender" type="ShortText"/>
        <xs:element name="CreatedAt" type="Timestamp"/>
        <xs:element name="Party" type="PartyCode"/>
        <xs:element name="RefersTo" type="RefersTo"/>
        <xs:element name="Status" type="Status"/>
        <xs:element name="Severity" type="Severity"/>
        <xs:element name="Code" type="Code" minOccurs="0"/>
        <xs:element name="Text" type="LongText"/>
        <xs:any namespace="http://www.w3.org/2000/09/xmldsig#" processContents="skip" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="schemaVersion" type="SchemaVersion" use="required"/>
    </xs:complexType>
  </xs:element>

</xs:schema>
)xsd";

// integrations/unfccc/schemas/annual-submission.xsd
constexpr const char kAnnualSubmissionXsd[] = R"xsd(<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns="urn:a6auth:unfccc:annual-submission:1"
           xmlns:s="urn:a6auth:unfccc:annual-submission:1"
           targetNamespace="urn:a6auth:unfccc:annual-submission:1"
           elementFormDefault="qualified"
           attributeFormDefault="unqualified"
           version="1.0">

  <xs:annotation>
    <xs:documentation>
      a6auth annual submission, schema version 1.0.

      A Party's annual information in the Agreed Electronic Format (AEF), due by 15 April for the
      previous year: the submission table, every version of every authorisation dated in the
      reported year, the authorised entities those versions name, and the actions and holdings
      (frozen at 31 December) as far as a6auth's records have them. Tables may be empty.

      No official XML schema or API of the UNFCCC's Centralized Accounting and Reporting Platform
      (CARP) is published. a6auth therefore defines these element names itself, after the technical
      field names of the AEF tables "Submission", "Authorizations", "Authorized entities",
      "Actions" and "Holdings". Nothing here is an official UNFCCC format.

      Versioning: the major version is part of the namespace (...:1); a change that could make a
      valid message invalid gets a new namespace. Additions that old readers may ignore raise the
      minor version, which every message states in its schemaVersion attribute.

      The schema itself checks that AuthorizationID and VersionOfTheAuthorization are unique
      together, that AuthorizedEntityID and ActionID are unique, and that every entity an
      authorisation names is in the AuthorizedEntities table. Rules that XML Schema 1.0 cannot
      express, checked by a6auth when it builds a submission:
      - Metric "GHG" requires GWPValues and forbids NonGHGMetric; "non-GHG" requires NonGHGMetric.
      - A purpose other than "NDC" (it includes OIMP, IMP or OP) requires OIMPAuthorizedByTheParty
        and FirstTransferDefinition; purpose "NDC" forbids OIMPAuthorizedByTheParty.
      - In every period, From is not after To; a block's first ITMO is not after its last.

      The message may end with one enveloped XML signature (ds:Signature, exclusive C14N,
      RSA-SHA256 or ECDSA-SHA256, Reference URI="") over the whole document.
    </xs:documentation>
  </xs:annotation>

  <!-- Simple types. Identifiers are xs:string based so that the patterns see the exact text. -->

  <xs:simpleType name="SchemaVersion">
    <xs:restriction base="xs:string">
      <xs:pattern value="1\.[0-9]+"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="MessageId">
    <xs:annotation>
      <xs:documentation>
        Letters, digits, underscore, full stop, colon, hyphen. Stable for the life of a message
        (retries keep it), so that the receiver drops duplicates by it.
      </xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="PartyCode">
    <xs:annotation>
      <xs:documentation>ISO 3166-1 alpha-3 code of a Party, e.g. GHA, CHE.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Z]{3}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Identifier">
    <xs:annotation>
      <xs:documentation>
        Set by the Party: letters, digits, space, hyphen, slash and full stop; no space at either end.
      </xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:maxLength value="100"/>
      <xs:pattern value="[A-Za-z0-9./\-]([A-Za-z0-9 ./\-]*[A-Za-z0-9./\-])?"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="CooperativeApproachId">
    <xs:annotation>
      <xs:documentation>Obtained from CARP: CA followed by four digits, e.g. CA0042.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="CA[0-9]{4}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="ItmoId">
    <xs:annotation>
      <xs:documentation>
        ITMO unique identifier: cooperative approach, originating registry (AAA00), first
        transferring Party, serial number, vintage year, e.g. CA0001-GHA01-GHA-1000-2024.
      </xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="CA[0-9]{4}-[A-Z]{3}[0-9]{2}-[A-Z]{3}-[0-9]{1,18}-[0-9]{4}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Version">
    <xs:restriction base="xs:int">
      <xs:minInclusive value="1"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Date">
    <xs:annotation>
      <xs:documentation>A calendar date without time zone, YYYY-MM-DD.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:date">
      <xs:pattern value="[0-9]{4}-[0-9]{2}-[0-9]{2}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Timestamp">
    <xs:annotation>
      <xs:documentation>A date and time with an explicit offset, e.g. 2025-03-14T09:30:00Z.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:dateTime">
      <xs:pattern value=".+(Z|[+\-][0-9]{2}:[0-9]{2})"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Year">
    <xs:restriction base="xs:int">
      <xs:minInclusive value="1990"/>
      <xs:maxInclusive value="2200"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="ShortText">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="300"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="LongText">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="20000"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Sha256">
    <xs:annotation>
      <xs:documentation>SHA-256 in lower-case hexadecimal.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:string">
      <xs:pattern value="[0-9a-f]{64}"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Metric">
    <xs:restriction base="xs:string">
      <xs:enumeration value="GHG"/>
      <xs:enumeration value="non-GHG"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Purposes">
    <xs:restriction base="xs:string">
      <xs:enumeration value="NDC"/>
      <xs:enumeration value="OIMP"/>
      <xs:enumeration value="IMP"/>
      <xs:enumeration value="OP"/>
      <xs:enumeration value="NDC and OIMP"/>
      <xs:enumeration value="NDC and IMP"/>
      <xs:enumeration value="NDC and OP"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="FirstTransferDefinition">
    <xs:restriction base="xs:string">
      <xs:enumeration value="Authorisation"/>
      <xs:enumeration value="Issuance"/>
      <xs:enumeration value="Use or Cancellation"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="ActionType">
    <xs:restriction base="xs:string">
      <xs:enumeration value="Authorization"/>
      <xs:enumeration value="First transfer"/>
      <xs:enumeration value="Transfer"/>
      <xs:enumeration value="Acquisition"/>
      <xs:enumeration value="Use"/>
      <xs:enumeration value="Cancellation"/>
      <xs:enumeration value="Voluntary cancellation"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="MitigationType">
    <xs:restriction base="xs:string">
      <xs:enumeration value="Emission reductions"/>
      <xs:enumeration value="Removals"/>
      <xs:enumeration value="Emission reductions and removals"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="Tonnes">
    <xs:annotation>
      <xs:documentation>Tonnes of CO2 equivalent.</xs:documentation>
    </xs:annotation>
    <xs:restriction base="xs:long">
      <xs:minInclusive value="0"/>
    </xs:restriction>
  </xs:simpleType>

  <!-- Complex types -->

  <xs:complexType name="Quantity">
    <xs:simpleContent>
      <xs:extension base="Tonnes">
        <xs:attribute name="unit" type="xs:string" use="required" fixed="tCO2e"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>

  <xs:complexType name="NonGHGMetric">
    <xs:simpleContent>
      <xs:extension base="ShortText">
        <xs:attribute name="unit" type="ShortText" use="required"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>

  <xs:complexType name="Period">
    <xs:annotation>
      <xs:documentation>From and/or To; a missing end is open.</xs:documentation>
    </xs:annotation>
    <xs:choice>
      <xs:sequence>
        <xs:element name="From" type="Date"/>
        <xs:element name="To" type="Date" minOccurs="0"/>
      </xs:sequence>
      <xs:element name="To" type="Date"/>
    </xs:choice>
  </xs:complexType>

  <xs:complexType name="AuthorizedTimeframe">
    <xs:annotation>
      <xs:documentation>
        When the mitigation occurs and/or when the outcomes may be used; at least one of the two.
      </xs:documentation>
    </xs:annotation>
    <xs:choice>
      <xs:sequence>
        <xs:element name="MitigationPeriod" type="Period"/>
        <xs:element name="UsePeriod" type="Period" minOccurs="0"/>
      </xs:sequence>
      <xs:element name="UsePeriod" type="Period"/>
    </xs:choice>
  </xs:complexType>

  <xs:complexType name="Sectors">
    <xs:sequence>
      <xs:element name="Sector" type="ShortText" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="ActivityTypes">
    <xs:sequence>
      <xs:element name="ActivityType" type="ShortText" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="AuthorizedParties">
    <xs:annotation>
      <xs:documentation>Absent: any Party may use the outcomes.</xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="Party" type="PartyCode" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="EntityReferences">
    <xs:sequence>
      <xs:element name="AuthorizedEntityID" type="Identifier" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="AuthorizationDocumentation">
    <xs:sequence>
      <xs:element name="DocumentSHA256" type="Sha256"/>
      <xs:element name="DocumentAddress" type="xs:anyURI"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Submission">
    <xs:sequence>
      <xs:element name="Party" type="PartyCode"/>
      <xs:element name="ReportedYear" type="Year"/>
      <xs:element name="SubmissionDate" type="Date"/>
      <xs:element name="VersionOfTheSubmission" type="Version"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Authorization">
    <xs:annotation>
      <xs:documentation>
        One version of a row of the AEF "Authorizations" table; entities by their AuthorizedEntityID.
      </xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="AuthorizationID" type="Identifier"/>
      <xs:element name="DateOfAuthorization" type="Date"/>
      <xs:element name="CooperativeApproachID" type="CooperativeApproachId"/>
      <xs:element name="VersionOfTheAuthorization" type="Version"/>
      <xs:element name="AuthorizedQuantity" type="Quantity" minOccurs="0"/>
      <xs:element name="Metric" type="Metric"/>
      <xs:element name="GWPValues" type="ShortText" minOccurs="0"/>
      <xs:element name="NonGHGMetric" type="NonGHGMetric" minOccurs="0"/>
      <xs:element name="Sectors" type="Sectors"/>
      <xs:element name="ActivityTypes" type="ActivityTypes"/>
      <xs:element name="PurposesForAuthorization" type="Purposes"/>
      <xs:element name="AuthorizedParties" type="AuthorizedParties" minOccurs="0"/>
      <xs:element name="AuthorizedEntities" type="EntityReferences" minOccurs="0"/>
      <xs:element name="OIMPAuthorizedByTheParty" type="ShortText" minOccurs="0"/>
      <xs:element name="AuthorizedTimeframe" type="AuthorizedTimeframe" minOccurs="0"/>
      <xs:element name="TermsAndConditions" type="LongText" minOccurs="0"/>
      <xs:element name="FirstTransferDefinition" type="FirstTransferDefinition" minOccurs="0"/>
      <xs:element name="AdditionalInformation" type="LongText" minOccurs="0"/>
      <xs:element name="AuthorizationDocumentation" type="AuthorizationDocumentation" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="AuthorizedEntity">
    <xs:annotation>
      <xs:documentation>A row of the AEF "Authorized entities" table.</xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="AuthorizedEntityID" type="Identifier"/>
      <xs:element name="EntityName" type="ShortText"/>
      <xs:element name="CountryOfIncorporation" type="PartyCode"/>
      <xs:element name="IdentificationNumber" type="ShortText" minOccurs="0"/>
      <xs:element name="CooperativeApproachID" type="CooperativeApproachId"/>
      <xs:element name="DateOfAuthorization" type="Date"/>
      <xs:element name="Conditions" type="LongText" minOccurs="0"/>
      <xs:element name="ChangeAndRevocationConditions" type="LongText"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Action">
    <xs:annotation>
      <xs:documentation>A row of the AEF "Actions" table: one action on one block of ITMOs.</xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="ActionID" type="Identifier"/>
      <xs:element name="ActionDate" type="Date"/>
      <xs:element name="ActionType" type="ActionType"/>
      <xs:element name="ActionSubtype" type="ShortText" minOccurs="0"/>
      <xs:element name="CooperativeApproachID" type="CooperativeApproachId"/>
      <xs:element name="AuthorizationID" type="Identifier"/>
      <xs:element name="FirstUniqueIdentifier" type="ItmoId"/>
      <xs:element name="LastUniqueIdentifier" type="ItmoId"/>
      <xs:element name="Vintage" type="Year"/>
      <xs:element name="Quantity" type="Quantity"/>
      <xs:element name="MitigationType" type="MitigationType" minOccurs="0"/>
      <xs:element name="TransferringParty" type="PartyCode" minOccurs="0"/>
      <xs:element name="AcquiringParty" type="PartyCode" minOccurs="0"/>
      <xs:element name="TransferringEntity" type="ShortText" minOccurs="0"/>
      <xs:element name="AcquiringEntity" type="ShortText" minOccurs="0"/>
      <xs:element name="PurposesForCancellation" type="ShortText" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Holding">
    <xs:annotation>
      <xs:documentation>
        A row of the AEF "Holdings" table: a block of ITMOs held on the date of the table.
      </xs:documentation>
    </xs:annotation>
    <xs:sequence>
      <xs:element name="CooperativeApproachID" type="CooperativeApproachId"/>
      <xs:element name="AuthorizationID" type="Identifier" minOccurs="0"/>
      <xs:element name="FirstUniqueIdentifier" type="ItmoId"/>
      <xs:element name="LastUniqueIdentifier" type="ItmoId"/>
      <xs:element name="Vintage" type="Year"/>
      <xs:element name="Quantity" type="Quantity"/>
      <xs:element name="HoldingEntity" type="ShortText" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Authorizations">
    <xs:sequence>
      <xs:element name="Authorization" type="Authorization" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="AuthorizedEntities">
    <xs:sequence>
      <xs:element name="AuthorizedEntity" type="AuthorizedEntity" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Actions">
    <xs:sequence>
      <xs:element name="Action" type="Action" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="Holdings">
    <xs:sequence>
      <xs:element name="Holding" type="Holding" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
    <xs:attribute name="asOf" type="Date" use="required">
      <xs:annotation>
        <xs:documentation>
          The date the holdings are frozen at: 31 December of the reported year.
        </xs:documentation>
      </xs:annotation>
    </xs:attribute>
  </xs:complexType>

  <!-- The message -->

  <xs:element name="AnnualSubmission">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="MessageID" type="MessageId"/>
        <xs:element name="CreatedAt" type="Timestamp"/>
        <xs:element name="Submission" type="Submission"/>
        <xs:element name="Authorizations" type="Authorizations">
          <xs:unique name="UniqueAuthorizationVersion">
            <xs:selector xpath="s:Authorization"/>
            <xs:field xpath="s:AuthorizationID"/>
            <xs:field xpath="s:VersionOfTheAuthorization"/>
          </xs:unique>
        </xs:element>
        <xs:element name="AuthorizedEntities" type="AuthorizedEntities"/>
        <xs:element name="Actions" type="Actions">
          <xs:unique name="UniqueActionID">
            <xs:selector xpath="s:Action"/>
            <xs:field xpath="s:ActionID"/>
          </xs:unique>
        </xs:element>
        <xs:element name="Holdings" type="Holdings"/>
        <xs:any namespace="http://www.w3.org/2000/09/xmldsig#" processContents="skip" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="schemaVersion" type="SchemaVersion" use="required"/>
    </xs:complexType>
    <xs:key name="EntityKey">
      <xs:selector xpath="s:AuthorizedEntities/s:AuthorizedEntity"/>
      <xs:field xpath="s:AuthorizedEntityID"/>
    </xs:key>
    <xs:keyref name="EntityReference" refer="EntityKey">
      <xs:selector xpath="s:Authorizations/s:Authorization/s:AuthorizedEntities/s:AuthorizedEntityID"/>
      <xs:field xpath="."/>
    </xs:keyref>
  </xs:element>

</xs:schema>
)xsd";

// clang-format on

struct KindInfo {
  const char* fileName;
  const char* ns;
  const char* root;
  const char* text;
};

const KindInfo& infoOf(MessageKind kind) {
  static const KindInfo kInfo[] = {
      {"authorisation-notification.xsd", "urn:a6auth:unfccc:authorisation-notification:1", "AuthorizationNotification",
       kAuthorisationNotificationXsd},
      {"acknowledgement.xsd", "urn:a6auth:unfccc:acknowledgement:1", "Acknowledgement", kAcknowledgementXsd},
      {"consistency-finding.xsd", "urn:a6auth:unfccc:consistency-finding:1", "ConsistencyFinding",
       kConsistencyFindingXsd},
      {"annual-submission.xsd", "urn:a6auth:unfccc:annual-submission:1", "AnnualSubmission", kAnnualSubmissionXsd},
  };
  return kInfo[static_cast<std::size_t>(kind)];
}

void collectSchemaMessage(void* ctx, xmlErrorPtr error) {
  if (error == nullptr || error->level < XML_ERR_ERROR) return;
  auto* out = static_cast<std::string*>(ctx);
  *out += "line " + std::to_string(error->line) + ": " + xml::tidyMessage(error->message) + "\n";
}

void collectValidationProblem(void* ctx, xmlErrorPtr error) {
  if (error == nullptr || error->level < XML_ERR_ERROR) return;
  auto* out = static_cast<std::vector<SchemaProblem>*>(ctx);
  const auto* node = static_cast<const xmlNode*>(error->node);
  std::string path = (node != nullptr && node->type == XML_ELEMENT_NODE) ? xml::elementPath(node) : "";
  out->push_back({error->line, std::move(path), xml::tidyMessage(error->message)});
}

xml::Schema compile(MessageKind kind) {
  const KindInfo& info = infoOf(kind);
  xml::SchemaParserCtxt parser(xmlSchemaNewMemParserCtxt(info.text, static_cast<int>(std::strlen(info.text))));
  if (!parser) throw Error(ErrorCode::Internal, "libxml2: cannot create a schema parser");
  std::string messages;
  xmlSchemaSetParserStructuredErrors(parser.get(), collectSchemaMessage, &messages);
  xml::Schema schema(xmlSchemaParse(parser.get()));
  if (!schema) throw Error(ErrorCode::Internal, std::string(info.fileName) + " does not compile:\n" + messages);
  return schema;
}

// Compiled on first use; C++ runs the initialiser once even when threads race. A compiled schema is
// only read afterwards, so concurrent validations (each with its own context) may share it.
xmlSchema* compiledSchema(MessageKind kind) {
  static const std::array<xml::Schema, 4> kSchemas = [] {
    xml::initialiseLibXml();
    return std::array<xml::Schema, 4>{compile(MessageKind::AuthorisationNotification),
                                      compile(MessageKind::Acknowledgement), compile(MessageKind::ConsistencyFinding),
                                      compile(MessageKind::AnnualSubmission)};
  }();
  return kSchemas[static_cast<std::size_t>(kind)].get();
}

}  // namespace

const char* schemaFileName(MessageKind kind) { return infoOf(kind).fileName; }
const char* schemaNamespace(MessageKind kind) { return infoOf(kind).ns; }
const char* rootElementName(MessageKind kind) { return infoOf(kind).root; }

const std::string& schemaText(MessageKind kind) {
  static const std::array<std::string, 4> kTexts = {kAuthorisationNotificationXsd, kAcknowledgementXsd,
                                                    kConsistencyFindingXsd, kAnnualSubmissionXsd};
  return kTexts[static_cast<std::size_t>(kind)];
}

std::optional<MessageKind> messageKindOfNamespace(std::string_view ns) {
  for (MessageKind kind : kAllMessageKinds) {
    if (ns == schemaNamespace(kind)) return kind;
  }
  return std::nullopt;
}

std::vector<SchemaProblem> validateDocument(MessageKind kind, _xmlDoc* doc) {
  xmlSchema* schema = compiledSchema(kind);
  const xmlNode* root = doc ? xmlDocGetRootElement(doc) : nullptr;
  if (root == nullptr) return {{0, "", "the document has no root element"}};
  if (!xml::isElement(root, schemaNamespace(kind), rootElementName(kind))) {
    std::string ns = (root->ns && root->ns->href) ? xml::good(root->ns->href) : "";
    return {{xml::lineOf(root), "",
             "the root element is " + std::string(xml::good(root->name)) + " in " +
                 (ns.empty() ? std::string("no namespace") : "namespace " + ns) + "; expected " +
                 rootElementName(kind) + " in namespace " + schemaNamespace(kind)}};
  }
  xml::SchemaValidCtxt ctxt(xmlSchemaNewValidCtxt(schema));
  if (!ctxt) throw Error(ErrorCode::Internal, "libxml2: cannot create a schema validation context");
  std::vector<SchemaProblem> problems;
  xmlSchemaSetValidStructuredErrors(ctxt.get(), collectValidationProblem, &problems);
  int rc = xmlSchemaValidateDoc(ctxt.get(), doc);
  if (rc != 0 && problems.empty()) {
    problems.push_back({0, "", std::string("the document does not match ") + schemaFileName(kind)});
  }
  return problems;
}

std::vector<SchemaProblem> validate(MessageKind kind, std::string_view xml, std::size_t maxBytes) {
  SafeParseOptions options;
  options.maxBytes = maxBytes;
  SafeParseResult parsed = parseXmlSafely(xml, options);
  if (!parsed) return {{parsed.problem.line, "", parsed.problem.message}};
  return validateDocument(kind, parsed.document.get());
}

std::string describe(MessageKind kind, const SchemaProblem& problem) {
  std::string out = schemaFileName(kind);
  out += ": line " + std::to_string(problem.line);
  if (!problem.path.empty()) out += " (" + problem.path + ")";
  return out + ": " + problem.message;
}

}  // namespace a6::integrations::unfccc
