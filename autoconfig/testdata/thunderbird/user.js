// user.js written by Mailsetup v1.2.3-test (https://github.com/mailsetup/mailsetup).
// It adds one mail account to this profile.
//
// Thunderbird reads user.js at every start, after prefs.js, and the values
// here replace those of prefs.js. mail.accountmanager.accounts and
// mail.smtpservers below therefore repeat the accounts and outgoing servers
// the profile already had. After the first start with this file Thunderbird
// has saved the account to prefs.js: delete user.js then, or it will undo
// later changes to the account list at every start.
//
// No password is stored here; Thunderbird asks for it at the first login.

user_pref("mail.account.account3.server", "server3");
user_pref("mail.account.account3.identities", "id2");

user_pref("mail.server.server3.type", "imap");
user_pref("mail.server.server3.hostname", "imap.example.com");
user_pref("mail.server.server3.port", 993);
user_pref("mail.server.server3.socketType", 3);
user_pref("mail.server.server3.authMethod", 3);
user_pref("mail.server.server3.userName", "fred@example.com");
user_pref("mail.server.server3.name", "fred@example.com");
user_pref("mail.server.server3.login_at_startup", true);
user_pref("mail.server.server3.check_new_mail", true);
user_pref("mail.server.server3.trash_folder_name", "Trash");

user_pref("mail.identity.id2.fullName", "Fred Example");
user_pref("mail.identity.id2.useremail", "fred@example.com");
user_pref("mail.identity.id2.smtpServer", "smtp2");
user_pref("mail.identity.id2.valid", true);
user_pref("mail.identity.id2.fcc_folder", "imap://fred%40example.com@imap.example.com/Sent");
user_pref("mail.identity.id2.draft_folder", "imap://fred%40example.com@imap.example.com/Drafts");
user_pref("mail.identity.id2.stationery_folder", "imap://fred%40example.com@imap.example.com/Templates");
user_pref("mail.identity.id2.fcc_folder_picker_mode", "0");
user_pref("mail.identity.id2.drafts_folder_picker_mode", "0");
user_pref("mail.identity.id2.tmpl_folder_picker_mode", "0");

user_pref("mail.smtpserver.smtp2.hostname", "smtp.example.com");
user_pref("mail.smtpserver.smtp2.port", 465);
user_pref("mail.smtpserver.smtp2.try_ssl", 3);
user_pref("mail.smtpserver.smtp2.authMethod", 3);
user_pref("mail.smtpserver.smtp2.username", "fred@example.com");
user_pref("mail.smtpserver.smtp2.description", "fred@example.com");

user_pref("mail.accountmanager.accounts", "account1,account2,account3");
user_pref("mail.smtpservers", "smtp1,smtp2");
